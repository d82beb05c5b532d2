/**
 * The gateway's checks of the common parameters, in Alipay's order and with its refusals: method, app_id,
 * sign and sign_type, the timestamp window, the charset, the certificate serial numbers (公钥证书模式), and
 * last the RSA2 signature over the request.
 */
import { parseChinaTime } from '../../../shared/time';
import type { Clock } from '../../src/core/clock';
import type { GatewayAnswer } from './book';
import type { AlipayCertificates } from './certificates';
import { KNOWN_METHODS } from './methods';
import { requestSignContent, rsa2Verify } from './signing';

/** A refusal answer: under `<method>_response` for a known method, else under `error_response`. */
export function refuse(method: string | undefined, code: string, msg: string, subCode: string, subMsg: string): GatewayAnswer {
  return {
    inner: { code, msg, sub_code: subCode, sub_msg: subMsg },
    ...(method && KNOWN_METHODS.has(method) ? {} : { errorResponse: true }),
  };
}

export interface CommonCheckOptions {
  appId: string;
  appPublicKey: string;
  /** What request timestamps are checked against, and how far they may be from it. */
  wallClock: Clock;
  toleranceMs: number;
  certs: AlipayCertificates | undefined;
}

/** The common-parameter check of a gateway: the refusal, or undefined when the request may proceed. */
export function commonChecks(o: CommonCheckOptions): (p: Record<string, string>) => GatewayAnswer | undefined {
  const missing = (method: string | undefined, subCode: string, subMsg: string) => refuse(method, '40001', 'Missing Required Arguments', subCode, subMsg);
  const invalid = (method: string | undefined, subCode: string, subMsg: string) => refuse(method, '40002', 'Invalid Arguments', subCode, subMsg);

  const timestampOk = (timestamp: string): boolean => {
    let ts: number | undefined;
    if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(timestamp)) {
      try {
        ts = parseChinaTime(timestamp).getTime();
      } catch {
        ts = undefined;
      }
    }
    return ts !== undefined && Math.abs(o.wallClock.now() - ts) <= o.toleranceMs;
  };

  const certificates = (method: string, p: Record<string, string>): GatewayAnswer | undefined => {
    const { certs } = o;
    if (certs) {
      if (!p.app_cert_sn) return missing(method, 'isv.missing-app-cert-sn', '缺少应用公钥证书序列号');
      if (p.app_cert_sn !== certs.appCertSn) return invalid(method, 'isv.invalid-app-cert-sn', '无效的应用公钥证书序列号');
      if (!p.alipay_root_cert_sn) return missing(method, 'isv.missing-alipay-root-cert-sn', '缺少支付宝根证书序列号');
      if (p.alipay_root_cert_sn !== certs.alipayRootCertSn) return invalid(method, 'isv.invalid-alipay-root-cert-sn', '无效的支付宝根证书序列号');
    } else if (p.app_cert_sn) {
      // The app signs with 公钥模式 at Alipay: a certificate-signed request names a certificate it has not got.
      return invalid(method, 'isv.app-cert-not-exist', '应用公钥证书不存在');
    }
    return undefined;
  };

  return (p) => {
    const method = p.method;
    if (!method) return missing(undefined, 'isv.missing-method', '缺少方法名参数');
    if (!KNOWN_METHODS.has(method)) return invalid(undefined, 'isv.invalid-method', '不存在的方法名');
    if (!p.app_id) return missing(method, 'isv.missing-app-id', '缺少AppID参数');
    if (p.app_id !== o.appId) return invalid(method, 'isv.invalid-app-id', '无效的AppID参数');
    if (!p.sign) return missing(method, 'isv.missing-signature', '缺少签名参数');
    if (!p.sign_type) return missing(method, 'isv.missing-signature-type', '缺少签名类型参数');
    if (p.sign_type !== 'RSA2') return invalid(method, 'isv.invalid-signature-type', '无效的签名类型参数');
    if (!p.timestamp) return missing(method, 'isv.missing-timestamp', '缺少时间戳参数');
    if (!timestampOk(p.timestamp)) return invalid(method, 'isv.invalid-timestamp', '非法的时间戳参数');
    if (p.charset && p.charset.toLowerCase() !== 'utf-8') return invalid(method, 'isv.invalid-charset', '字符集错误');
    const certRefusal = certificates(method, p);
    if (certRefusal) return certRefusal;
    if (!rsa2Verify(requestSignContent(p), p.sign, o.appPublicKey)) {
      return invalid(method, 'isv.invalid-signature', `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${requestSignContent(p)}`);
    }
    return undefined;
  };
}

/**
 * POST/GET /gateway.do: the common checks, the injected faults, the method's handler, and the signed answer
 * `{"<method>_response":<inner>,"sign":…}` (with alipay_cert_sn in 公钥证书模式) — or, as faults, no answer,
 * an HTTP error page, an answer signed with another key, tampered after signing, or unsigned.
 */
import type http from 'node:http';
import type { Clock } from '../../src/core/clock';
import { PAGE_SIGN_METHOD, type AgreementDesk } from './agreements';
import type { GatewayAnswer } from './book';
import type { AlipayCertificates } from './certificates';
import { formToRecord, readBody, send } from './http-io';
import { dispatch, type MethodHandler } from './methods';
import { responseKey, signedResponseBody } from './signing';
import type { AlipayFault, GatewayHit } from './index';

export interface GatewayOptions {
  clock: Clock;
  alipayPrivateKey: string;
  /** A key that is not Alipay's (bad_signature faults). */
  strangerPrivateKey: string;
  certs: AlipayCertificates | undefined;
  checkCommon: (p: Record<string, string>) => GatewayAnswer | undefined;
  handlers: Record<string, MethodHandler>;
  agreementDesk: AgreementDesk;
  /** Faults not yet used (shared with the control API, which adds and clears them). */
  faults: AlipayFault[];
  hits: GatewayHit[];
  /** Requests held unanswered (timeout faults): stop() drops them. */
  held: Set<http.ServerResponse>;
}

export function createGateway(o: GatewayOptions): (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> {
  const takeFault = (method: string | undefined): AlipayFault | undefined => {
    const i = o.faults.findIndex((f) => f.type !== 'forged_notification' && f.type !== 'lost_notification' && (f.method === undefined || f.method === method));
    return i < 0 ? undefined : o.faults.splice(i, 1)[0];
  };

  /** A signed gateway answer. */
  const answer = (res: http.ServerResponse, method: string | undefined, a: GatewayAnswer, fault?: AlipayFault) => {
    const key = a.errorResponse || !method ? 'error_response' : responseKey(method);
    let inner = a.inner;
    let signWith: string | null = o.alipayPrivateKey;
    if (fault?.type === 'bad_signature') signWith = o.strangerPrivateKey;
    if (fault?.type === 'unsigned_response') signWith = null;
    let { body } = signedResponseBody(key, inner, signWith);
    // 公钥证书模式: the answer names the certificate it is signed with, between the inner object and the sign.
    if (o.certs) body = body.replace(/,"sign":"/, `,"alipay_cert_sn":"${o.certs.alipayCertSn}","sign":"`);
    if (fault?.type === 'tampered_response') {
      inner = { ...inner };
      const amountKey = ['total_amount', 'refund_fee', 'refund_amount'].find((k) => typeof inner[k] === 'string');
      const original = signedResponseBody(key, a.inner, signWith);
      if (amountKey) inner[amountKey] = '0.01';
      else inner.msg = `${String(inner.msg)} (tampered)`;
      // The signature of the original inner text, glued to an altered inner text.
      body = `{"${key}":${JSON.stringify(inner).replace(/\//g, '\\/')},"sign":"${original.sign}"}`;
    }
    send(res, 200, body);
  };

  /** A fault that replaces the answer (timeout, HTTP error, business error); false when there is none. */
  const answerFault = (res: http.ServerResponse, params: Record<string, string>, hit: GatewayHit, fault: AlipayFault | undefined): boolean => {
    const method = params.method;
    if (fault && (fault.type === 'timeout' || fault.type === 'http')) {
      hit.outcome = `fault:${fault.type}`;
      if (fault.afterProcessing) dispatch(o.handlers, params);
      if (fault.type === 'timeout') {
        o.held.add(res);
        res.on('close', () => o.held.delete(res));
        return true; // never answered; stop() drops the connection
      }
      send(res, fault.status ?? 500, '<html><body><h1>500 Internal Server Error</h1></body></html>');
      return true;
    }
    if (fault?.type === 'business_error') {
      const subCode = fault.subCode ?? 'ACQ.SYSTEM_ERROR';
      hit.outcome = `fault:${subCode}`;
      const code = fault.code ?? (subCode.startsWith('isp.') ? '20000' : '40004');
      const msg = code === '20000' ? 'Service Currently Unavailable' : 'Business Failed';
      answer(res, method, { inner: { code, msg, sub_code: subCode, sub_msg: fault.subMsg ?? '系统错误' } });
      return true;
    }
    return false;
  };

  return async (req, res, url) => {
    const text = await readBody(req);
    const params: Record<string, string> = {};
    const ct = String(req.headers['content-type'] ?? '');
    const body = ct.includes('application/x-www-form-urlencoded') || (text && !ct) ? formToRecord(text) : {};
    for (const [k, v] of url.searchParams) if (!(k in params)) params[k] = v;
    for (const [k, v] of Object.entries(body)) if (!(k in params)) params[k] = v;
    const method = params.method;
    const hit: GatewayHit = { at: o.clock.now(), method: method ?? '', outcome: 'ok', params };
    o.hits.push(hit);

    const refused = o.checkCommon(params);
    if (method === PAGE_SIGN_METHOD) {
      // A page the user's browser opens, not an API answer (an error page when refused).
      hit.outcome = o.agreementDesk.page(res, params, refused);
      return;
    }
    if (refused) {
      hit.outcome = String(refused.inner.sub_code);
      return answer(res, method, refused);
    }
    const fault = takeFault(method);
    if (answerFault(res, params, hit, fault)) return;
    const a = dispatch(o.handlers, params);
    hit.outcome = fault ? `fault:${fault.type}` : a.inner.code === '10000' || a.inner.code === undefined ? 'ok' : String(a.inner.sub_code ?? a.inner.code);
    answer(res, method, a, fault);
  };
}

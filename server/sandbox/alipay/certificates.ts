/**
 * 公钥证书模式 of the Alipay sandbox: the certificates the open platform hands an app, issued here with the
 * `openssl` CLI (Node parses certificates but cannot issue them):
 *  - a root CA ("alipayRootCert.crt"),
 *  - an intermediate CA under it,
 *  - the Alipay public key certificate over the sandbox's Alipay key, issued by the intermediate
 *    ("alipayCertPublicKey_RSA2.crt" holds it followed by the intermediate, as the real file does),
 *  - the app public key certificate over the app's key ("appCertPublicKey_<appId>.crt").
 * The gateway then requires app_cert_sn and alipay_root_cert_sn on every request and answers with
 * alipay_cert_sn, each computed as Alipay's SDKs do (certSn / rootCertSn below).
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateRsaKeyPair } from './signing';

export interface AlipayCertificates {
  /** PEM texts, as config.alipay takes them. */
  appCert: string;
  alipayPublicCert: string;
  alipayRootCert: string;
  /** What requests must carry and answers name. */
  appCertSn: string;
  alipayRootCertSn: string;
  alipayCertSn: string;
}

/**
 * A certificate's SN as Alipay computes it: md5 of the issuer's name, its parts in reverse order joined by
 * ',', followed by the serial number in decimal.
 */
export function certSn(pemText: string): string {
  const cert = new X509Certificate(pemText);
  const issuer = cert.issuer.split('\n').reverse().join(',');
  return createHash('md5').update(issuer + BigInt(`0x${cert.serialNumber}`).toString(10), 'utf8').digest('hex');
}

/** The root bundle's SN: the SNs of its RSA certificates joined by '_' (every certificate here is RSA). */
export function rootCertSn(bundle: string): string {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(certSn).join('_');
}

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 15_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new Error(missing ? 'the Alipay sandbox needs the `openssl` CLI for 公钥证书模式 (apt-get install -y openssl)' : `openssl failed: ${String(stderr).trim() || err.message}`));
    });
  });
}

export async function makeAlipayCertificates(appId: string, appPrivateKey: string, alipayPrivateKey: string): Promise<AlipayCertificates> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alipay-sandbox-certs-'));
  const f = (name: string) => path.join(dir, name);
  try {
    const rootKey = generateRsaKeyPair().privateKey;
    const caKey = generateRsaKeyPair().privateKey;
    await Promise.all([
      writeFile(f('root.key'), rootKey, { mode: 0o600 }),
      writeFile(f('ca.key'), caKey, { mode: 0o600 }),
      writeFile(f('app.key'), appPrivateKey, { mode: 0o600 }),
      writeFile(f('alipay.key'), alipayPrivateKey, { mode: 0o600 }),
      writeFile(f('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'),
      writeFile(f('leaf.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n'),
    ]);
    const serial = () => `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0')}`;
    await openssl(['req', '-x509', '-new', '-key', f('root.key'), '-sha256', '-days', '3650', '-set_serial', serial(),
      '-subj', '/C=CN/O=Ant Financial (sandbox)/OU=Certification Authority/CN=Ant Financial Certification Authority R1 (sandbox)', '-out', f('root.crt')]);
    const issue = async (key: string, subject: string, ca: string, caKey: string, ext: string, out: string) => {
      await openssl(['req', '-new', '-key', f(key), '-subj', subject, '-out', f(`${out}.csr`)]);
      await openssl(['x509', '-req', '-in', f(`${out}.csr`), '-CA', f(ca), '-CAkey', f(caKey), '-set_serial', serial(), '-days', '1825', '-sha256',
        '-extfile', f(ext), '-out', f(out)]);
    };
    await issue('ca.key', '/C=CN/O=Ant Financial (sandbox)/OU=Certification Authority/CN=Ant Financial Certification Authority Class 2 R1 (sandbox)',
      'root.crt', 'root.key', 'ca.ext', 'ca.crt');
    await issue('alipay.key', '/C=CN/O=支付宝(中国)网络技术有限公司/OU=Alipay/CN=2088000000000000 (sandbox)', 'ca.crt', 'ca.key', 'leaf.ext', 'alipay.crt');
    await issue('app.key', `/C=CN/O=ParkPay (sandbox)/OU=Alipay/CN=${appId}`, 'ca.crt', 'ca.key', 'leaf.ext', 'app.crt');
    const [root, ca, alipay, app] = await Promise.all(['root.crt', 'ca.crt', 'alipay.crt', 'app.crt'].map((n) => readFile(f(n), 'utf8')));
    const alipayPublicCert = `${alipay!.trim()}\n${ca!.trim()}\n`;
    return {
      appCert: app!,
      alipayPublicCert,
      alipayRootCert: root!,
      appCertSn: certSn(app!),
      alipayRootCertSn: rootCertSn(root!),
      alipayCertSn: certSn(alipay!),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

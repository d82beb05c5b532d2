/**
 * 公钥证书模式 (public-key certificate mode) of the Alipay adapter against the Alipay sandbox set up with
 * certificates: requests carry app_cert_sn and alipay_root_cert_sn computed by alipay-sdk from the
 * certificates, answers (alipay_cert_sn in them) verify with the key of the Alipay public key certificate,
 * signed error answers are still recognised, and wrong certificates stop the adapter at construction with a
 * message naming the file.
 */
import { AlipayAdapter, AlipayError } from '../../../../server/src/adapter/alipay';
import { loadConfig } from '../../../../server/src/config';
import { certSn, rootCertSn } from '../../../../server/sandbox/alipay/certificates';
import { startAlipaySandbox, type AlipaySandbox } from '../../../../server/sandbox/alipay';

jest.setTimeout(30_000);

let sandbox: AlipaySandbox;
let other: AlipaySandbox;
beforeAll(async () => {
  [sandbox, other] = await Promise.all([startAlipaySandbox({ certificateMode: true }), startAlipaySandbox({ certificateMode: true })]);
});
afterAll(async () => {
  await Promise.all([sandbox?.stop(), other?.stop()]);
});

const configError = (f: () => unknown): AlipayError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(AlipayError);
    expect(e).toMatchObject({ kind: 'config', retryable: false });
    return e as AlipayError;
  }
  throw new Error('expected a config error');
};

it('the configuration takes the three certificates (PARKPAY_ALIPAY), as the sandbox hands them out', () => {
  const c = loadConfig({ PARKPAY_ALIPAY: JSON.stringify(sandbox.certApp) }, undefined, { demoWithConfiguredKeys: true });
  expect(c.alipay).toMatchObject({ appCert: sandbox.certApp!.appCert, alipayRootCert: sandbox.certApp!.alipayRootCert });
  expect(c.alipay!.alipayPublicKey).toBeUndefined();
});

it('signs with the certificate serials, and verifies answers with the Alipay certificate', async () => {
  const adapter = new AlipayAdapter(sandbox.certApp!, { timeoutMs: 5000 });
  expect(adapter.alipayCertSn).toBe(certSn(sandbox.certApp!.alipayPublicCert));
  const outTradeNo = `CERT${Date.now()}`;
  const { tradeNo } = await adapter.createTrade({ outTradeNo, subject: '停车费', totalFen: 500, buyerOpenId: sandbox.user('c').openId });
  sandbox.pay(outTradeNo, 'c');
  expect(await adapter.query(outTradeNo)).toMatchObject({ outTradeNo, tradeNo, status: 'paid', totalFen: 500 });
  const hit = sandbox.requests().find((h) => h.method === 'alipay.trade.create')!;
  expect(hit.params.app_cert_sn).toBe(certSn(sandbox.certApp!.appCert));
  expect(hit.params.alipay_root_cert_sn).toBe(rootCertSn(sandbox.certApp!.alipayRootCert));
  // A signed error answer (with alipay_cert_sn beside it) is the business error it says, not a bad signature.
  await expect(adapter.oauthToken('not-a-code')).rejects.toMatchObject({ kind: 'business', subCode: 'isv.code-invalid' });
});

it('an app in 公钥证书模式 at Alipay refuses requests signed in 公钥模式', async () => {
  const keyMode = new AlipayAdapter(sandbox.app, { timeoutMs: 5000 });
  await expect(keyMode.query('NOPE1')).rejects.toMatchObject({ kind: 'business', subCode: 'isv.missing-app-cert-sn' });
});

it('an answer signed with another Alipay certificate than the configured one names it (a rotation to download)', async () => {
  // Configured with the other sandbox's Alipay certificate (its root beside ours, so the chain checks out).
  const stale = new AlipayAdapter(
    { ...sandbox.certApp!, alipayPublicCert: other.certApp!.alipayPublicCert, alipayRootCert: `${sandbox.certApp!.alipayRootCert}${other.certApp!.alipayRootCert}` },
    { timeoutMs: 5000 },
  );
  const err = (await stale.query('NOPE2').catch((e: unknown) => e)) as AlipayError;
  expect(err).toBeInstanceOf(AlipayError);
  expect(err).toMatchObject({ kind: 'bad_signature', retryable: true });
  expect(err.message).toContain(`signed with Alipay certificate ${certSn(sandbox.certApp!.alipayPublicCert)}, not the configured ${certSn(other.certApp!.alipayPublicCert)}`);
});

it('wrong certificates stop the adapter at construction, naming the file', () => {
  const app = sandbox.certApp!;
  expect(configError(() => new AlipayAdapter({ ...app, alipayRootCert: other.certApp!.alipayRootCert })).message).toMatch(/alipayPublicCert does not chain up to alipayRootCert/);
  expect(configError(() => new AlipayAdapter({ ...app, appCert: other.certApp!.appCert })).message).toMatch(/appCert is not the certificate of privateKey/);
  expect(configError(() => new AlipayAdapter({ ...app, alipayPublicCert: 'not a certificate' })).message).toMatch(/alipayPublicCert holds no PEM certificate/);
  expect(configError(() => new AlipayAdapter({ ...app, alipayRootCert: undefined })).message).toMatch(/alipayRootCert is empty/);
  // The Alipay certificate is checked for its dates against the adapter's clock.
  const later = { now: () => Date.now() + 20 * 365 * 86_400_000 };
  expect(configError(() => new AlipayAdapter(app, { clock: later })).message).toMatch(/alipayPublicCert is valid .* only: download the current one/);
});

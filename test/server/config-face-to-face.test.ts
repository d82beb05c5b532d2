/** config.wechatPay's booth-payment keys (4.24–4.26): the API v2 key and the client certificate reverse needs. */
import { ConfigError, loadConfig } from '../../server/src/config';

const wechat = {
  appId: 'wx1',
  mchId: '1230000109',
  merchantSerialNo: 'ABC',
  merchantPrivateKey: 'pem',
  apiV3Key: 'k'.repeat(32),
  verification: { mode: 'platformCertificate' },
};
const problems = (w: Record<string, unknown>) => {
  try {
    loadConfig({ PARKPAY_WECHATPAY: JSON.stringify(w) }, undefined, { demoWithConfiguredKeys: true });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

it('apiV2Key against the real host needs the API client certificate (mutual TLS for /secapi/pay/reverse)', () => {
  expect(problems({ ...wechat, apiV2Key: 'v'.repeat(32) })).toEqual([expect.stringMatching(/^wechatPay\.apiClientCertificate: is required with apiV2Key/)]);
  expect(problems({ ...wechat, apiV2Key: 'v'.repeat(32), apiClientCertificate: { certPem: 'c', keyPem: 'k' } })).toEqual([]);
  expect(problems({ ...wechat, apiV2Key: 'v'.repeat(32), apiClientCertificate: { pfxBase64: 'AAAA' } })).toEqual([]);
  // A sandbox over plain HTTP does without; no v2 key, no requirement.
  expect(problems({ ...wechat, apiV2Key: 'v'.repeat(32), baseUrl: 'http://127.0.0.1:8082' })).toEqual([]);
  expect(problems(wechat)).toEqual([]);
});

it('the v2 key has 32 characters, the sign type is HMAC-SHA256 or MD5, terminalIp is IPv4', () => {
  expect(problems({ ...wechat, apiV2Key: 'short', baseUrl: 'http://x' })).toEqual([expect.stringMatching(/^wechatPay\.apiV2Key: must be exactly 32/)]);
  expect(problems({ ...wechat, v2SignType: 'SHA1' })).toEqual([expect.stringMatching(/^wechatPay\.v2SignType/)]);
  expect(problems({ ...wechat, terminalIp: 'booth-1' })).toEqual([expect.stringMatching(/^wechatPay\.terminalIp/)]);
});

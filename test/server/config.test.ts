import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, redactedConfig, redactUri } from '../../server/src/config';

const park = { parkNumber: 'p180329111018', key: 'k-secret', bluecardBaseUrl: 'http://127.0.0.1:9000' };

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('boots on embedded defaults in demo mode', () => {
    const c = loadConfig({}, '/srv/pp');
    expect(c).toMatchObject({ mode: 'demo', host: '127.0.0.1', port: 8080, parks: [], dataDir: '/srv/pp/.data', demo: { bluecardSandboxPort: 8081 } });
    expect(loadConfig({ PARKPAY_DEMO_BLUECARD_PORT: '0' }).demo.bluecardSandboxPort).toBe(0);
    expect(c.mongodbUri).toBeUndefined();
  });

  it('takes environment over the file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ppcfg-'));
    writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ port: 9000, parks: [park], logLevel: 'warn' }));
    const c = loadConfig({ PARKPAY_CONFIG: 'c.json', PORT: '9100' }, dir, { demoWithConfiguredKeys: true });
    expect(c.port).toBe(9100);
    expect(c.logLevel).toBe('warn');
    expect(c.parks[0]!.parkNumber).toBe('p180329111018');
  });

  it('names the key of a malformed value', () => {
    expect(problemsOf(() => loadConfig({ PORT: 'eighty' }))).toEqual([expect.stringMatching(/^port: /)]);
    expect(problemsOf(() => loadConfig({ MONGODB_URI: 'postgres://x' }))).toEqual([expect.stringMatching(/^mongodbUri: must start with mongodb/)]);
    const bad = problemsOf(() =>
      loadConfig({ PARKPAY_PARKS: JSON.stringify([{ ...park, key: '' }, { parkNumber: 'p2', key: 'x', bluecardBaseUrl: 'ftp://x' }]) }),
    );
    expect(bad).toEqual(
      expect.arrayContaining([expect.stringMatching(/^parks\[0\]\.key: /), expect.stringMatching(/^parks\[1\]\.bluecardBaseUrl: /)]),
    );
  });

  it('names a missing key and unknown keys', () => {
    const { key: _key, ...noKey } = park;
    expect(problemsOf(() => loadConfig({ PARKPAY_PARKS: JSON.stringify([noKey]) }))).toEqual([expect.stringMatching(/^parks\[0\]\.key/)]);
    expect(problemsOf(() => loadConfig({ PARKPAY_PARKS: JSON.stringify([{ ...park, kee: 1 }]) }))[0]).toMatch(/^parks\[0\]: .*kee/);
  });

  it('rejects duplicate parks and unparsable JSON', () => {
    expect(problemsOf(() => loadConfig({ PARKPAY_PARKS: JSON.stringify([park, park]) }))).toEqual([
      'parks[1].parkNumber: duplicate park p180329111018',
    ]);
    expect(problemsOf(() => loadConfig({ PARKPAY_PARKS: '[{' }))[0]).toMatch(/^parks \(from PARKPAY_PARKS\): not valid JSON/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ppcfg-'));
    writeFileSync(path.join(dir, 'c.json'), '{nope');
    expect(problemsOf(() => loadConfig({ PARKPAY_CONFIG: 'c.json' }, dir))[0]).toMatch(/^PARKPAY_CONFIG \(c\.json\)/);
  });

  it('requires the production essentials', () => {
    const problems = problemsOf(() => loadConfig({ PARKPAY_MODE: 'production' }));
    expect(problems).toEqual(
      expect.arrayContaining([
        'mongodbUri: is required in production mode',
        'parks: at least one park is required in production mode',
        'publicBaseUrl: is required in production mode',
        'wechatPay: wechatPay or alipay is required in production mode',
      ]),
    );
  });

  it('keeps secrets out of what it prints', () => {
    const c = loadConfig(
      { PARKPAY_PARKS: JSON.stringify([park]), MONGODB_URI: 'mongodb://app:hunter2@db.example:27017/pp' },
      undefined,
      { demoWithConfiguredKeys: true },
    );
    const printed = JSON.stringify(redactedConfig(c));
    expect(printed).not.toContain('k-secret');
    expect(printed).not.toContain('hunter2');
    expect(printed).toContain('p180329111018');
    expect(redactUri('mongodb://u:p@h/x')).toBe('mongodb://u:***@h/x');
  });

  describe('demo mode only when nothing real is configured', () => {
    const production = {
      PARKPAY_MODE: 'production',
      MONGODB_URI: 'mongodb://db.example:27017/pp',
      PARKPAY_PARKS: JSON.stringify([park]),
      PARKPAY_PUBLIC_BASE_URL: 'https://pay.example.com',
      PARKPAY_ALIPAY: JSON.stringify({ appId: '2021000000000001', privateKey: 'k', alipayPublicKey: 'p' }),
    };

    it('with none of the real keys, the mode is demo', () => {
      expect(loadConfig({}).mode).toBe('demo');
      expect(loadConfig({ PARKPAY_MODE: 'demo', PORT: '0', LOG_LEVEL: 'warn' }).mode).toBe('demo');
    });

    it.each([
      ['parks', { PARKPAY_PARKS: JSON.stringify([park]) }, /parks \(PARKPAY_PARKS\)/],
      ['mongodbUri', { MONGODB_URI: 'mongodb://db.example/pp' }, /mongodbUri \(MONGODB_URI\)/],
      ['publicBaseUrl', { PARKPAY_PUBLIC_BASE_URL: 'https://pay.example.com' }, /publicBaseUrl \(PARKPAY_PUBLIC_BASE_URL\)/],
      ['wechatPay', { PARKPAY_WECHATPAY: JSON.stringify({ appId: 'wx1', mchId: '1', merchantSerialNo: 'A', merchantPrivateKey: 'k', apiV3Key: 'k'.repeat(32), verification: { mode: 'platformCertificate' } }) }, /wechatPay \(PARKPAY_WECHATPAY\)/],
      ['alipay', { PARKPAY_ALIPAY: production.PARKPAY_ALIPAY }, /alipay \(PARKPAY_ALIPAY\)/],
    ])('%s set without mode production stops the boot, saying so', (_key, env, named) => {
      for (const mode of [undefined, 'demo']) {
        const problems = problemsOf(() => loadConfig({ ...env, ...(mode ? { PARKPAY_MODE: mode } : {}) }));
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(mode ? /^mode: is demo, but / : /^mode: is not set, but /);
        expect(problems[0]).toMatch(named);
        expect(problems[0]).toMatch(/set mode to production \(PARKPAY_MODE=production\)/);
      }
    });

    it('names every real key that is set, from a file too', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ppcfg-'));
      writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ parks: [park], mongodbUri: 'mongodb://db/pp' }));
      expect(problemsOf(() => loadConfig({ PARKPAY_CONFIG: 'c.json' }, dir))[0]).toMatch(/but parks \(PARKPAY_PARKS\), mongodbUri \(MONGODB_URI\) are configured/);
      // An empty parks list configures nothing.
      writeFileSync(path.join(dir, 'c.json'), JSON.stringify({ parks: [] }));
      expect(loadConfig({ PARKPAY_CONFIG: 'c.json' }, dir).mode).toBe('demo');
    });

    it('a tool that only opens the database (create-admin, db:migrate) reads the same configuration without the rule', () => {
      expect(loadConfig({ MONGODB_URI: 'mongodb://db.example/pp' }, undefined, { databaseOnly: true }).mongodbUri).toBe('mongodb://db.example/pp');
    });

    it('production with everything configured boots', () => {
      expect(loadConfig(production).mode).toBe('production');
    });

    it('https in production: publicBaseUrl, notify URLs and the payment hosts; loopback hosts excepted', () => {
      expect(problemsOf(() => loadConfig({ ...production, PARKPAY_PUBLIC_BASE_URL: 'http://pay.example.com' }))).toEqual([
        'publicBaseUrl: must be https in production mode (plain http only on a loopback host): http://pay.example.com',
      ]);
      const alipay = JSON.parse(production.PARKPAY_ALIPAY);
      const bad = problemsOf(() =>
        loadConfig({ ...production, PARKPAY_ALIPAY: JSON.stringify({ ...alipay, notifyUrl: 'http://pay.example.com/n', gateway: 'http://10.0.0.8/gateway.do' }) }),
      );
      expect(bad).toEqual([expect.stringMatching(/^alipay\.notifyUrl: must be https/), expect.stringMatching(/^alipay\.gateway: must be https/)]);
      for (const loopback of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080']) {
        expect(loadConfig({ ...production, PARKPAY_PUBLIC_BASE_URL: loopback }).publicBaseUrl).toBe(loopback);
      }
      // Not in demo mode: the sandboxes speak http.
      expect(loadConfig({ PARKPAY_PUBLIC_BASE_URL: 'http://pay.example.com' }, undefined, { demoWithConfiguredKeys: true }).mode).toBe('demo');
    });
  });

  describe('Alipay keys: 公钥模式 or 公钥证书模式, and the seller id', () => {
    const app = { appId: '2021000000000001', privateKey: 'k' };
    const alipay = (a: Record<string, unknown>) => problemsOf(() => loadConfig({ PARKPAY_ALIPAY: JSON.stringify({ ...app, ...a }) }, undefined, { demoWithConfiguredKeys: true }));
    const ok = (a: Record<string, unknown>) => loadConfig({ PARKPAY_ALIPAY: JSON.stringify({ ...app, ...a }) }, undefined, { demoWithConfiguredKeys: true }).alipay;

    it('takes the public key or the three certificates, not both, not a part', () => {
      expect(ok({ alipayPublicKey: 'p' })).toMatchObject({ alipayPublicKey: 'p' });
      expect(ok({ appCert: 'a', alipayPublicCert: 'b', alipayRootCert: 'c' })).toMatchObject({ appCert: 'a', alipayPublicCert: 'b', alipayRootCert: 'c' });
      expect(alipay({})).toEqual(['alipay.alipayPublicKey: alipayPublicKey, or appCert + alipayPublicCert + alipayRootCert, is required']);
      expect(alipay({ appCert: 'a', alipayRootCert: 'c' })).toEqual(['alipay.alipayPublicCert: 公钥证书模式 needs all three certificates (missing: alipayPublicCert)']);
      expect(alipay({ alipayPublicKey: 'p', appCert: 'a', alipayPublicCert: 'b', alipayRootCert: 'c' })[0]).toMatch(/^alipay\.appCert: alipayPublicKey \(公钥模式\) and the certificates \(公钥证书模式\) exclude each other/);
    });

    it('sellerId is a PID', () => {
      expect(ok({ alipayPublicKey: 'p', sellerId: '2088123456789012' })).toMatchObject({ sellerId: '2088123456789012' });
      expect(alipay({ alipayPublicKey: 'p', sellerId: '12345' })).toEqual(['alipay.sellerId: must be a PID: 2088 and 12 digits']);
    });
  });
});


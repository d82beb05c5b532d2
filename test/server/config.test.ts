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
    const c = loadConfig({ PARKPAY_CONFIG: 'c.json', PORT: '9100' }, dir);
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
    const c = loadConfig({
      PARKPAY_PARKS: JSON.stringify([park]),
      MONGODB_URI: 'mongodb://app:hunter2@db.example:27017/pp',
    });
    const printed = JSON.stringify(redactedConfig(c));
    expect(printed).not.toContain('k-secret');
    expect(printed).not.toContain('hunter2');
    expect(printed).toContain('p180329111018');
    expect(redactUri('mongodb://u:p@h/x')).toBe('mongodb://u:***@h/x');
  });
});

/**
 * The deployment's shape, here: the build (`npm run build`) run by node in production mode, two ParkPay
 * processes on one database behind a round-robin proxy (the compose file's reverse proxy and two
 * instances), the lot, WeChat login and WeChat Pay as the sandboxes. Drivers log in and pay through the
 * proxy; WeChat Pay's notifications and the lot's records reach either process; every payment reaches the
 * lot exactly once. And: a production process loads no sandbox code, stops cleanly on SIGTERM, a
 * configuration with real keys but no mode stops the boot with a message, and so does a database the
 * migration (the build's db-migrate.js, run first as a deployment does) has not brought to this version.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../../../server/src/core/clock';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER, demoParks, startBluecardSandbox, type BluecardSandbox } from '../../../server/sandbox/bluecard';
import { startWechatLoginSandbox, type WechatLoginSandbox } from '../../../server/sandbox/wechat-login';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../server/sandbox/wechatpay';
import { testDatabaseUri } from '../../support/db';
import { CACHE_DIR } from '../../support/engine';
import { eventually } from '../../support/payment-world';
import {
  buildOnce,
  logRecords,
  moduleReporter,
  randomDbName,
  startBuiltServer,
  startRoundRobin,
  stopAll,
  TEST_BUILD,
  type RoundRobin,
  type ServerProcess,
} from '../../support/prod-processes';

jest.setTimeout(180_000);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'parkpay-prod-'));
const lotClock = new ManualClock(Date.UTC(2026, 10, 28, 1, 0, 0));
let bluecard: BluecardSandbox;
let login: WechatLoginSandbox;
let wechatPay: WechatPaySandbox;
let front: RoundRobin;
/** Between ParkPay and the lot: counts the down calls (sendPayRes) whichever process makes them. */
let lotDoor: RoundRobin;
let a: ServerProcess;
let b: ServerProcess;
let env: NodeJS.ProcessEnv;

function productionEnv(): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  return {
    ...base,
    PARKPAY_MODE: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    MONGODB_URI: `${testDatabaseUri()}${randomDbName('two')}`,
    PARKPAY_PUBLIC_BASE_URL: front.url,
    PARKPAY_URL_SIGNING_KEY: 'one-key-for-every-instance-0123456789',
    PARKPAY_PARKS: JSON.stringify([{ parkNumber: DEMO_PARK_NUMBER, key: DEMO_PARK_KEY, bluecardBaseUrl: lotDoor.url, name: '示例停车场' }]),
    PARKPAY_WECHATPAY: JSON.stringify({ ...wechatPay.merchant, baseUrl: wechatPay.url }),
    PARKPAY_WECHAT_MINIPROGRAM: JSON.stringify(login.app),
  };
}

/** `node dist/scripts/db-migrate.js` of the build, on the configuration of `env`. */
const migrateWithBuild = (e: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [path.join(TEST_BUILD, 'scripts/db-migrate.js')], { env: e, encoding: 'utf8', timeout: 60_000 });

beforeAll(async () => {
  [bluecard, login, front, lotDoor] = await Promise.all([
    startBluecardSandbox({ parks: demoParks(), clock: lotClock, heartbeatMs: 0, announceLanesOnStart: false, onError: (e) => console.error('bluecard sandbox', e) }),
    startWechatLoginSandbox(),
    startRoundRobin(),
    startRoundRobin(),
    buildOnce(),
  ]) as [BluecardSandbox, WechatLoginSandbox, RoundRobin, RoundRobin, unknown];
  wechatPay = await startWechatPaySandbox({ mode: 'publicKey', appId: login.app.appId });
  lotDoor.upstreams.push(bluecard.url);
  env = productionEnv();
  // The deployment's first step: the migration builds the indexes (production builds none itself).
  const migrated = migrateWithBuild(env);
  expect([migrated.status, migrated.stderr]).toEqual([0, '']);
  const modules = moduleReporter(tmp);
  [a, b] = await Promise.all([
    startBuiltServer('A', { ...env, PARKPAY_TEST_MODULES_OUT: path.join(tmp, 'modules-A.json') }, ['--require', modules]),
    startBuiltServer('B', env),
  ]);
  front.upstreams.push(a.url, b.url);
  await bluecard.setParkPayBaseUrl(front.url);
});

afterAll(async () => {
  await stopAll();
  await Promise.all([bluecard?.stop(), login?.stop(), wechatPay?.stop(), front?.stop(), lotDoor?.stop()]);
  rmSync(tmp, { recursive: true, force: true });
});

async function api<T>(method: string, p: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(`${front.url}${p}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

it('two processes on one database: every payment reaches the lot exactly once', async () => {
  const N = 30;
  const { token } = await api<{ token: string }>('POST', '/api/auth/wechat', { code: login.issueCode('driver-two') });
  const plates = Array.from({ length: N }, (_, i) => `京T${String(20000 + i)}`);
  const lot = bluecard.park(DEMO_PARK_NUMBER);
  for (const plate of plates) await lot.arrive({ lane: '东门入口', plate, wait: true });
  lotClock.advance(75 * 60_000);
  const orderNos: string[] = [];
  for (const plate of plates) {
    const fee = await api<{ payFen: number; order?: { orderNo: string } }>('POST', '/api/fees/prepay', { parkNumber: DEMO_PARK_NUMBER, plate }, token);
    expect(fee.payFen).toBeGreaterThan(0);
    const orderNo = fee.order!.orderNo;
    orderNos.push(orderNo);
    const { pay } = await api<{ pay: { requestPayment: Record<string, unknown> } }>('POST', `/api/orders/${orderNo}/pay`, { wallet: 'wechat' }, token);
    expect(wechatPay.requestPayment(pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
  }
  const statuses = await eventually(
    () => Promise.all(orderNos.map((no) => api<{ status: string }>('GET', `/api/orders/${no}`, undefined, token).then((o) => o.status))),
    (s) => s.every((x) => x === 'delivered'),
    60_000,
  );
  expect(statuses).toEqual(orderNos.map(() => 'delivered'));

  // Exactly one sendPayRes per payment reached the lot, whichever process sent it.
  const sent = lotDoor.requests.filter((r) => r.path.endsWith('/sendPayRes')).map((r) => (JSON.parse(r.body) as { transactionID: string }).transactionID);
  expect([...sent].sort()).toEqual([...orderNos].sort());
  expect(new Set(lot.dump().payments.map((p) => p.payNo))).toEqual(new Set(orderNos));

  // Both processes took part: each recorded some of the payments WeChat Pay notified.
  const recordedBy = (p: ServerProcess) => logRecords(p).filter((r) => r.msg === 'payment recorded').map((r) => r.orderNo as string);
  expect(recordedBy(a).length).toBeGreaterThan(0);
  expect(recordedBy(b).length).toBeGreaterThan(0);
  expect([...recordedBy(a), ...recordedBy(b)].sort()).toEqual([...orderNos].sort());
});

it('a production process loads no sandbox code and stops cleanly on SIGTERM', async () => {
  const { code, signal } = await a.stop('SIGTERM');
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(logRecords(a).some((r) => r.msg === 'stopped')).toBe(true);
  const loaded = JSON.parse(readFileSync(path.join(tmp, 'modules-A.json'), 'utf8')) as string[];
  expect(loaded.some((f) => f.includes(`${path.sep}server${path.sep}src${path.sep}`))).toBe(true);
  expect(loaded.filter((f) => f.includes(`${path.sep}sandbox${path.sep}`))).toEqual([]);
});

it('demo mode from the same build does load the sandboxes (the check above can fail)', async () => {
  const demoEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: '0',
    LOG_LEVEL: 'warn',
    PARKPAY_DATA_DIR: path.join(tmp, 'demo-data'),
    PARKPAY_CACHE_DIR: CACHE_DIR,
    PARKPAY_DEMO_BLUECARD_PORT: '0',
    PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
    PARKPAY_DEMO_WECHATPAY_PORT: '0',
    PARKPAY_DEMO_ALIPAY_PORT: '0',
    // No driver app build in the background: the process is stopped right after it listens.
    PARKPAY_DEMO_BUILD_H5: '0',
    PARKPAY_TEST_MODULES_OUT: path.join(tmp, 'modules-demo.json'),
  };
  const demo = await startBuiltServer('demo', demoEnv, ['--require', moduleReporter(tmp)]);
  expect(await demo.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  const loaded = JSON.parse(readFileSync(path.join(tmp, 'modules-demo.json'), 'utf8')) as string[];
  expect(loaded.filter((f) => f.includes(`${path.sep}sandbox${path.sep}`)).length).toBeGreaterThan(5);
});

it('real keys without mode production stop the boot with a message (exit 78)', async () => {
  const withoutMode = { ...env };
  delete withoutMode.PARKPAY_MODE;
  await expect(startBuiltServer('no-mode', withoutMode)).rejects.toThrow(
    /exited \(78\) before listening; stderr: ParkPay cannot start: invalid configuration:\n {2}- mode: is not set, but parks \(PARKPAY_PARKS\), wechatPay \(PARKPAY_WECHATPAY\), wechatMiniProgram \(PARKPAY_WECHAT_MINIPROGRAM\), mongodbUri \(MONGODB_URI\), publicBaseUrl \(PARKPAY_PUBLIC_BASE_URL\) are configured/,
  );
});

it('a database not migrated to this version stops the boot with a message naming db:migrate (exit 65)', async () => {
  const unmigrated = { ...env, MONGODB_URI: `${testDatabaseUri()}${randomDbName('unmigrated')}` };
  await expect(startBuiltServer('unmigrated', unmigrated)).rejects.toThrow(
    /exited \(65\) before listening; stderr: ParkPay cannot start: the database is new \(no schema version\); this version needs \d+: run `npm run db:migrate`/,
  );
});

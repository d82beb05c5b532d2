/**
 * Benchmark: how fast ParkPay answers the lot at the lane — 4.28 open gate (a car at the barrier waits for
 * it) and 4.27 third-party channel pay (the barrier opens on it). The real server in demo mode (startServer:
 * embedded FerretDB or MONGODB_URI, the Bluecard, WeChat Pay and Alipay sandboxes on free ports); signed
 * requests as the lot sends them, one at a time, on loopback.
 *
 *   npx tsx scripts/bench-lane-answers.ts [opengate=2000] [channelpay=200]
 *
 * Setup (not measured): 300 plates on the park's blacklist through the operator API (a CSV import, waited
 * for: it runs at the lot's pace), and
 * 20 plates with WeChat vehicle-parking-service agreements (demo drivers), each car in the lot. Then:
 *  - 4.28: a third of the cars blacklisted (fail), the rest unknown (self), entry and exit lanes, through
 *    the opengate URL and the common URL (method opengate);
 *  - 4.27: each request a new outTradeNo for one of the 20 cars (a real deduction through the WeChat Pay
 *    sandbox's parking service, settled at once), after the checks every deduction passes: the car's open
 *    stay, the lot's own price of it (a 4.4 call to the Bluecard sandbox), the caps.
 * Prints count, median, p90, p99 and max per call (ms), and the in-process cost of one 4.28 rule decision.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../server/src/config';
import { demoWechatOpenId } from '../server/src/core/identity/demo';
import { systemClock } from '../server/src/core/clock';
import { OpenGateRules } from '../server/src/core/lanepay/open-gate';
import { DEMO_OPERATOR } from '../server/sandbox/demo';
import { createLogger } from '../server/src/logger';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER } from '../server/sandbox/bluecard';
import { startServer } from '../server/src/server';
import { formatChinaHhmmss } from '../shared/time';

const N_GATE = Number(process.argv[2] ?? 2000);
const N_PAY = Number(process.argv[3] ?? 200);
const P = DEMO_PARK_NUMBER;
const SIGN = createHash('md5').update(DEMO_PARK_KEY + P).digest('hex');

function stats(name: string, ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const pct = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  return `${name.padEnd(24)} count ${String(s.length).padStart(5)}  median ${pct(50).toFixed(2).padStart(7)}  p90 ${pct(90).toFixed(2).padStart(7)}  p99 ${pct(99).toFixed(2).padStart(7)}  max ${s[s.length - 1]!.toFixed(2).padStart(7)}  (ms)`;
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-bench-lane-'));
  const env: NodeJS.ProcessEnv = {
    PORT: '0',
    LOG_LEVEL: 'silent',
    PARKPAY_DATA_DIR: dataDir,
    PARKPAY_CACHE_DIR: path.resolve(__dirname, '../.cache'),
    PARKPAY_DEMO_BLUECARD_PORT: '0',
    PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
    PARKPAY_DEMO_WECHATPAY_PORT: '0',
    PARKPAY_DEMO_ALIPAY_PORT: '0',
    // One client on loopback, as fast as it can: far above any lot's pace, so no rate limit here.
    PARKPAY_BLUECARD_RATE_LIMITS: JSON.stringify({ callsPerMinute: 1e9, callsBurst: 1e9, moneyPerMinute: 1e9, moneyBurst: 1e9 }),
    ...(process.env.MONGODB_URI ? { MONGODB_URI: `${process.env.MONGODB_URI.replace(/\/?$/, '/')}bench_lane_${Date.now()}` } : {}),
  };
  const server = await startServer(loadConfig(env, undefined, { demoWithConfiguredKeys: true }), { logger: createLogger('silent') });
  const sb = server.demo!.sandboxes;
  const lot = sb.bluecard.park(P);
  console.log(`ParkPay in demo mode at ${server.url} (database: ${server.engine.engine} ${server.engine.version}); preparing …`);

  async function call<T>(method: string, p: string, body?: unknown, token?: string): Promise<T> {
    const res = await fetch(`${server.url}${p}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T & { error?: { code: string; message: string } };
    if (res.status !== 200) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  const up = async (p: string, body: unknown) => {
    const t = performance.now();
    const res = await fetch(`${server.url}/bluecard/v2${p}`, { method: 'POST', headers: { 'content-type': 'application/json;charset=UTF-8', sign: SIGN }, body: JSON.stringify(body) });
    const answer = (await res.json()) as { status: string; errorCode?: string };
    return { ms: performance.now() - t, answer };
  };

  try {
    // Our blacklist: 300 plates, imported as an operator would (the 4.28 rule holds them at once).
    const { token: opToken } = await call<{ token: string }>('POST', '/api/op/auth/login', { username: DEMO_OPERATOR.username, password: DEMO_OPERATOR.password });
    const black = Array.from({ length: 300 }, (_, i) => `京X${String(i).padStart(5, '0')}`);
    await call('POST', `/api/op/parks/${P}/lists/black/imports`, { csv: ['plate,memo', ...black.map((p) => `${p},bench`)].join('\n') }, opToken);

    // 20 cars whose plates have WeChat parking-service agreements (4 demo drivers × 5 plates).
    sb.wechatPay.parking.setSettleMode('sync');
    const payers: { plate: string; orderId: string }[] = [];
    // The cars came in 95 minutes ago: the lot prices each stay above what 4.27 asks (ParkPay asks it, 4.4).
    await sb.bluecard.setClock(Date.now() - 95 * 60_000);
    for (let d = 0; d < 4; d++) {
      const name = `bench-driver-${d}`;
      const { token } = await call<{ token: string }>('POST', '/api/auth/demo', { name });
      for (let k = 0; k < 5; k++) {
        const plate = `京W${d}${String(k).padStart(4, '0')}`;
        await call('POST', '/api/me/plates', { plate }, token);
        const s = await call<{ agreement: { id: string } }>('POST', '/api/me/agreements', { plateKey: plate, provider: 'wechat', returnUrl: `${server.url}/back` }, token);
        sb.wechatPay.parking.openService({ openid: demoWechatOpenId(name), plateNumber: plate });
        const c = await call<{ agreement: { state: string } }>('POST', `/api/me/agreements/${s.agreement.id}/confirm`, {}, token);
        if (c.agreement.state !== 'active') throw new Error(`agreement of ${plate} is ${c.agreement.state}`);
        const { orderId } = await lot.arrive({ lane: '东门入口', plate, wait: true });
        payers.push({ plate, orderId });
      }
    }

    await sb.bluecard.setClock(Date.now());

    // The blacklist import sends 50 plates a call at the lot's pace (≥5 s apart): let it finish first, so
    // the measurement is the lane answers alone.
    for (;;) {
      const { jobs } = await call<{ jobs: { status: string }[] }>('GET', `/api/op/parks/${P}/list-jobs`, undefined, opToken);
      if (jobs.every((j) => j.status === 'done' || j.status === 'failed')) break;
      await new Promise((r) => setTimeout(r, 500));
    }

    // 4.28 open gate.
    const gate = (i: number) => {
      const plate = i % 3 === 0 ? black[i % black.length]! : `京Y${String(i % 100_000).padStart(5, '0')}`;
      const entry = i % 4 !== 3;
      return {
        parkNumber: P,
        method: 'opengate',
        plate,
        plateColor: '蓝色',
        carType: '临时车',
        confidence: '98',
        doTime: '2026-11-28 10:00:00',
        passageway: entry ? '东门入口' : '东门出口',
        inOutType: entry ? 1 : 2,
        area: '地面停车场',
      };
    };
    for (let i = 0; i < 50; i++) await up('/opengate', gate(i)); // warm up
    const gateMs: number[] = [];
    const seen = { fail: 0, success: 0, self: 0 };
    for (let i = 0; i < N_GATE; i++) {
      const r = await up(i % 2 === 0 ? '/opengate' : '', gate(i));
      gateMs.push(r.ms);
      seen[r.answer.status as keyof typeof seen]++;
    }
    const expectedFails = Array.from({ length: N_GATE }, (_, i) => i % 3 === 0 && i % 4 !== 3).filter(Boolean).length;
    if (seen.fail !== expectedFails) throw new Error(`4.28: ${seen.fail} refusals, expected ${expectedFails}`);

    // 4.27 third-party channel pay: a new outTradeNo each time (a new deduction).
    const payMs: number[] = [];
    let ok = 0;
    const hhmmss = (n: number) => formatChinaHhmmss(Date.UTC(2026, 0, 1, 0, 0, 0) + n * 1000);
    for (let i = 0; i < N_PAY + 5; i++) {
      const car = payers[i % payers.length]!;
      const r = await up('/channel-pay', { parkNumber: P, plateID: encodeURIComponent(car.plate), payCharge: '0.01', outTradeNo: `${P}_2_${car.orderId}_${hhmmss(i)}` });
      if (r.answer.status === 'success') ok++;
      else if (i >= 5) throw new Error(`4.27 answered ${JSON.stringify(r.answer)}`);
      if (i >= 5) payMs.push(r.ms); // the first few warm up
    }

    console.log(`\nLane answers on loopback, one at a time (${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}):`);
    console.log(stats('4.28 opengate', gateMs));
    console.log(`${''.padEnd(24)} answers: ${seen.fail} fail (blacklisted at an entry), ${seen.self} self, ${seen.success} success`);
    console.log(stats('4.27 channel pay', payMs));
    console.log(`${''.padEnd(24)} ${ok} deductions succeeded`);

    // The rule decision itself (what 4.28 costs beyond HTTP, sign check and parsing): the in-memory index.
    const rules = new OpenGateRules({ blacklist: { blacklisted: async () => black.map((p) => ({ plateKey: p, reason: 'bench' })), onChange: () => undefined }, clock: systemClock });
    const park = { parkNumber: P, key: DEMO_PARK_KEY, bluecardBaseUrl: '' };
    await rules.warm([P]);
    const n = 200_000;
    const t = performance.now();
    for (let i = 0; i < n; i++) await rules.decide(park, { plate: i % 2 ? black[i % black.length]! : `京Y${i}`, inOutType: 1 });
    console.log(`${'4.28 rule decision'.padEnd(24)} ${(((performance.now() - t) / n) * 1000).toFixed(2)} µs each (in process, ${n} decisions, 300 blacklisted plates)`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

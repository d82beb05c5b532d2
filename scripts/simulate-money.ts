/**
 * The money simulation: many stays across several parks, paid through ParkPay running as its own process
 * (production mode, `server/src/main.ts`) against the Bluecard, WeChat Pay, Alipay and WeChat login
 * sandboxes, with faults injected at random:
 *  - the lot: sendPayRes answered `fail` 系统繁忙 (busy), HTTP 500 (an outage), its answer lost after it
 *    recorded the payment;
 *  - notifications: refused once and resent later (late), lost for good (the app's poll asks the provider),
 *    sent twice (duplicated);
 *  - ParkPay itself: kill -9 of the server process mid-flow, restarted on the same port;
 *  - two drivers on one stay, paying at once;
 *  - forged lot calls with the park's replayed sign: an exit record for a car still in the lot, a 4.27
 *    channel pay of ¥200 for its plate;
 *  - refunds: cars that leave (paying cash at the booth) while their payment is under way, wallets cancelled.
 *
 * At the end, from the providers' and the lot's own books (the sandboxes) and ParkPay's database:
 *   Σ taken from drivers = Σ delivered to lots + Σ refunded + Σ still in flight, to the fen,
 * and the drivers charged wrongly: a payment neither delivered nor refunded nor in flight, a payment both
 * delivered and refunded, a stay the lot counted two payments for, money taken by a forged call.
 *
 *   npx tsx scripts/simulate-money.ts [stays=10000] [parks=4] [concurrency=24] [seed=1]
 *
 * The jest suite runs a short one (test/scripts/simulate-money.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { ScaledClock } from '../server/src/core/clock';
import { startEmbeddedEngine, type EmbeddedEngine } from '../server/src/repository/engine';
import { startAlipaySandbox, type AlipaySandbox } from '../server/sandbox/alipay';
import { demoParks, startBluecardSandbox, type BluecardSandbox } from '../server/sandbox/bluecard';
import { startWechatLoginSandbox, type WechatLoginSandbox } from '../server/sandbox/wechat-login';
import { startWechatPaySandbox, type WechatPaySandbox } from '../server/sandbox/wechatpay';
import { formatChinaTime } from '../shared/time';

const REPO = path.resolve(__dirname, '..');

/** ParkPay processes of this simulation: a simulation stopped by a signal stops them too (they outlive it otherwise). */
const running = new Set<ChildProcess>();

export interface SimulationOptions {
  stays: number;
  parks?: number;
  /** Stays paid at once. */
  concurrency?: number;
  seed?: number;
  /** About how many kill -9s of the server over the run (default: one per 1,000 stays, at least 1). */
  kills?: number;
  /** A MongoDB URI to use (a database of its own is made on it); default: an embedded engine started here. */
  mongodbUri?: string;
  log?: (line: string) => void;
}

export interface SimulationResult {
  stays: number;
  parks: number;
  payments: number;
  takenFen: number;
  deliveredFen: number;
  refundedFen: number;
  inFlightFen: number;
  balanced: boolean;
  wronglyCharged: number;
  wrongly: string[];
  kills: number;
  faults: Record<string, number>;
  outcomes: Record<string, number>;
  seconds: number;
}

/** A small seeded generator (mulberry32): the same seed, the same run of choices. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** ParkPay as its own process, killed with SIGKILL and started again on the same port. */
class ParkPayProcess {
  private child: ChildProcess | undefined;
  private starting: Promise<void> | undefined;
  kills = 0;
  constructor(
    private readonly configFile: string,
    readonly url: string,
    private readonly log: (s: string) => void,
  ) {}

  /** `npm run db:migrate` on ParkPay's database: a production server refuses a database not at its schema. */
  async migrate(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'scripts/db-migrate.ts')], {
      cwd: REPO,
      env: { ...process.env, PARKPAY_CONFIG: this.configFile, NODE_ENV: 'production' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    if (code !== 0) throw new Error(`db:migrate exited with ${code}: ${stderr.trim().slice(0, 500)}`);
  }

  async start(): Promise<void> {
    this.starting ??= (async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'server/src/main.ts')], {
        cwd: REPO,
        env: { ...process.env, PARKPAY_CONFIG: this.configFile, NODE_ENV: 'production' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (d: Buffer) => {
        const text = d.toString();
        if (/ERR|Error|error/.test(text) && !/ECONNREFUSED/.test(text)) this.log(`[parkpay stderr] ${text.trim().slice(0, 300)}`);
      });
      this.child = child;
      running.add(child);
      child.once('exit', () => running.delete(child));
      const deadline = Date.now() + 120_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`ParkPay exited with ${child.exitCode} while starting`);
        try {
          const r = await fetch(`${this.url}/readyz`);
          if (r.ok) break;
        } catch {
          // not yet listening
        }
        if (Date.now() > deadline) throw new Error('ParkPay did not get ready in 120 s');
        await sleep(100);
      }
    })().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** kill -9, then start again at once (a supervisor's restart). */
  async crash(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
    this.kills++;
    this.log(`kill -9 #${this.kills} of ParkPay (pid ${child.pid}); restarting`);
    await this.start();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
}

interface Driver {
  name: string;
  wallet: 'wechat' | 'alipay';
  token?: string;
}

export async function simulateMoney(opts: SimulationOptions): Promise<SimulationResult> {
  const t0 = Date.now();
  const log = opts.log ?? ((s: string) => console.log(s));
  const random = rng(opts.seed ?? 1);
  const chance = (p: number) => random() < p;
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  const parkCount = opts.parks ?? 4;
  const concurrency = opts.concurrency ?? 24;
  const kills = opts.kills ?? Math.max(1, Math.round(opts.stays / 1000));
  const faults: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const count = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);

  const cleanup: (() => Promise<void>)[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'parkpay-sim-'));
  cleanup.push(async () => rmSync(tmp, { recursive: true, force: true }));
  try {
    // The database: ParkPay's own process reaches it; this process reads the outcome from it.
    let uri = opts.mongodbUri;
    if (!uri) {
      const engine: EmbeddedEngine = await startEmbeddedEngine({ dataDir: path.join(tmp, 'db'), cacheDir: path.join(REPO, '.cache'), log: () => undefined });
      cleanup.unshift(() => engine.stop());
      uri = engine.uri;
    }
    const dbName = `pp_sim_${Date.now().toString(36)}`;

    // The lot's clock runs with real time; each batch of cars is moved 70 minutes on after they entered.
    const lotClock = new ScaledClock(Date.now(), 1);
    const base = demoParks()[0]!;
    const parks = Array.from({ length: parkCount }, (_, i) => ({
      ...base,
      parkNumber: `p_sim_${String(i + 1).padStart(3, '0')}`,
      key: `sim-key-${i + 1}-not-secret`,
      name: `模拟停车场${i + 1}`,
      areas: base.areas.map((a) => ({ ...a, spaces: 100_000 })),
    }));
    const bluecard: BluecardSandbox = await startBluecardSandbox({ parks, clock: lotClock, heartbeatMs: 0, announceLanesOnStart: false, onError: () => undefined });
    cleanup.unshift(() => bluecard.stop());
    const login: WechatLoginSandbox = await startWechatLoginSandbox({});
    cleanup.unshift(() => login.stop());
    const wechat: WechatPaySandbox = await startWechatPaySandbox({ mode: 'publicKey', appId: login.app.appId, timeScale: 60, refundSettleMs: 3_000 });
    cleanup.unshift(() => wechat.stop());
    const alipay: AlipaySandbox = await startAlipaySandbox({ timeScale: 60 });
    cleanup.unshift(() => alipay.stop());

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const configFile = path.join(tmp, 'parkpay.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        mode: 'production',
        port,
        host: '127.0.0.1',
        mongodbUri: `${uri.replace(/\/?(\?.*)?$/, '/')}${dbName}${/\?/.test(uri) ? uri.slice(uri.indexOf('?')) : ''}`,
        publicBaseUrl: url,
        logLevel: 'error',
        parks: parks.map((p) => ({ parkNumber: p.parkNumber, key: p.key, bluecardBaseUrl: bluecard.url, name: p.name, bluecardSources: ['127.0.0.1/32', '::1/128'] })),
        // The lots of the simulation call far more often than real ones: the guard's limits are raised.
        bluecardRateLimits: { callsPerMinute: 1_000_000, callsBurst: 100_000, moneyPerMinute: 1_000_000, moneyBurst: 100_000 },
        wechatPay: { ...wechat.merchant, baseUrl: wechat.url },
        alipay: { ...alipay.app, keyType: 'PKCS8', gateway: alipay.gateway },
        wechatMiniProgram: login.app,
        urlSigningKey: 'simulation-url-signing-key-0001',
      }),
    );
    const parkpay = new ParkPayProcess(configFile, url, log);
    cleanup.unshift(() => parkpay.stop());
    await parkpay.migrate();
    await parkpay.start();
    await bluecard.setParkPayBaseUrl(url);
    const conn = await mongoose.createConnection(uri, { dbName, serverSelectionTimeoutMS: 10_000 }).asPromise();
    cleanup.unshift(() => conn.close());

    // ---- the app's calls, retried through restarts -------------------------------------------------------
    async function api<T>(method: string, p: string, token?: string, body?: unknown, tries = 60): Promise<{ status: number; body: T }> {
      for (let i = 0; ; i++) {
        try {
          const res = await fetch(`${url}${p}`, {
            method,
            headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
            body: body !== undefined ? JSON.stringify(body) : undefined,
            signal: AbortSignal.timeout(20_000),
          });
          if (res.status >= 500 && res.status !== 504 && res.status !== 503 && i < tries) {
            await sleep(250);
            continue;
          }
          if ((res.status === 503 || res.status === 504) && i < tries) {
            await sleep(500);
            continue;
          }
          const text = await res.text();
          return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
        } catch (e) {
          if (i >= tries) throw e;
          await sleep(500); // ParkPay restarting
        }
      }
    }

    const drivers: Driver[] = Array.from({ length: Math.max(8, concurrency * 2) }, (_, i) => ({ name: `sim-driver-${i}`, wallet: i % 3 === 2 ? 'alipay' : 'wechat' }));
    async function tokenOf(d: Driver): Promise<string> {
      if (d.token) return d.token;
      const r =
        d.wallet === 'wechat'
          ? await api<{ token: string }>('POST', '/api/auth/wechat', undefined, { code: login.issueCode(d.name) })
          : await api<{ token: string }>('POST', '/api/auth/alipay', undefined, { code: alipay.issueAuthCode(d.name) });
      if (r.status !== 200) throw new Error(`login of ${d.name}: ${r.status} ${JSON.stringify(r.body)}`);
      d.token = r.body.token;
      return d.token;
    }

    const sign = (parkNumber: string) => createHash('md5').update(parks.find((p) => p.parkNumber === parkNumber)!.key + parkNumber).digest('hex');
    let forgedSuccesses = 0;
    async function forgeExit(parkNumber: string, orderId: string, plate: string) {
      count(faults, 'forged 4.3 exit (replayed sign)');
      const body = {
        parkNumber,
        size: 1,
        datas: [
          {
            orderId,
            operatorId: '1',
            operatorName: 'x',
            invoiceNo: '',
            carInfo: { plate, plateColor: '蓝色', ticketCode: '', carType: '临时车', confidence: '98' },
            userInfo: { idCard: '' },
            passInfo: { inTime: formatChinaTime(lotClock.now() - 3 * 3_600_000), outTime: formatChinaTime(lotClock.now()), inImage: '', outImage: '', inChannel: '东门入口', outChannel: '东门出口', openGateMode: '自动放行', matchMode: '全字匹配' },
            chargeStatistics: { charge: '0', onLineCharge: '0', offLineCharge: '0', profitChargeTotal: '0' },
            chargeList: [],
            profitList: [],
          },
        ],
      };
      await fetch(`${url}/bluecard/v2/out-records`, { method: 'POST', headers: { 'content-type': 'application/json', sign: sign(parkNumber) }, body: JSON.stringify(body) }).catch(() => undefined);
    }
    async function forgeChannelPay(parkNumber: string, plate: string) {
      count(faults, 'forged 4.27 channel pay ¥200 (replayed sign)');
      const r = await fetch(`${url}/bluecard/v2/channel-pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', sign: sign(parkNumber) },
        body: JSON.stringify({ parkNumber, plateID: encodeURIComponent(plate), payCharge: '200.00', outTradeNo: `${parkNumber}_9_${Date.now()}${Math.floor(random() * 1e6)}_000000` }),
      }).catch(() => undefined);
      const answer = r ? ((await r.json().catch(() => ({}))) as { status?: string }) : {};
      if (answer.status === 'success') forgedSuccesses++;
    }

    // ---- one stay ------------------------------------------------------------------------------------------
    interface Car {
      parkNumber: string;
      plate: string;
      orderId: string;
    }
    async function payStay(car: Car, driver: Driver, second = false): Promise<string> {
      const token = await tokenOf(driver);
      let fee: { status: number; body: { payFen?: number; order?: { orderNo: string } | null; error?: { code: string } } } | undefined;
      for (let i = 0; i < 40; i++) {
        fee = await api('POST', '/api/fees/prepay', token, { parkNumber: car.parkNumber, plate: car.plate });
        if (fee.status === 200 || fee.body.error?.code !== 'stay_unknown') break;
        await sleep(250); // the entry record is on its way (resent while ParkPay restarts)
      }
      if (!fee || fee.status !== 200) return `fee ${fee?.body.error?.code ?? fee?.status}`;
      const no = fee.body.order?.orderNo;
      if (!no) return 'nothing to pay';
      const pay = await api<{ pay?: { wallet: string; requestPayment?: Record<string, unknown>; tradeNo?: string }; error?: { code: string } }>('POST', `/api/orders/${no}/pay`, token, { wallet: driver.wallet });
      if (pay.status !== 200) return `pay ${pay.body.error?.code ?? pay.status}`;
      if (!second && chance(0.03)) {
        count(faults, 'wallet cancelled');
        await api('POST', `/api/orders/${no}/cancel`, token, {});
        return 'cancelled';
      }
      // Faults around the payment.
      if (chance(0.04)) {
        count(faults, 'lot busy on sendPayRes');
        bluecard.faults.add({ kind: 'fail', count: 1 + Math.floor(random() * 3), name: 'sendPayRes', parkNumber: car.parkNumber, errorCode: '系统繁忙,请稍后再试' });
      } else if (chance(0.03)) {
        count(faults, 'lot outage (HTTP 500) on sendPayRes');
        bluecard.faults.add({ kind: 'http500', count: 1 + Math.floor(random() * 4), name: 'sendPayRes', parkNumber: car.parkNumber });
      } else if (chance(0.02)) {
        count(faults, 'lot answer lost after recording');
        bluecard.faults.add({ kind: 'timeout', count: 1, name: 'sendPayRes', parkNumber: car.parkNumber, phase: 'after', hangMs: 500 });
      }
      if (driver.wallet === 'wechat' && chance(0.05)) {
        count(faults, 'notification refused once (late)');
        wechat.inject({ kind: 'tamperNotification', tamper: 'signature', times: 1 });
      } else if (driver.wallet === 'wechat' && chance(0.03)) {
        // Never sent at all: only the app's poll (ParkPay asking WeChat) can find the payment.
        count(faults, 'notification lost for good');
        wechat.inject({ kind: 'loseNotification', times: 1 });
      }
      const leavesFirst = !second && chance(0.03);
      if (leavesFirst) {
        // The car leaves (cash at the booth) while the payment is under way: it must be refunded.
        count(faults, 'car left before the payment counted');
        await bluecard.park(car.parkNumber).leave({ lane: '东门出口', orderId: car.orderId, force: true, settle: 'cash' });
      }
      if (!second && chance(0.02)) await forgeExit(car.parkNumber, car.orderId, car.plate);
      if (!second && chance(0.01)) await forgeChannelPay(car.parkNumber, car.plate);
      if (pay.body.pay?.wallet === 'wechat') wechat.requestPayment(pay.body.pay.requestPayment!, { outcome: 'pay' });
      else alipay.pay(no, driver.name);
      if (chance(0.04)) {
        count(faults, 'notification duplicated');
        if (driver.wallet === 'wechat') {
          const n = wechat.makeNotification({ outTradeNo: no });
          await fetch(`${url}/notify/wechatpay`, { method: 'POST', headers: n.headers, body: n.body }).catch(() => undefined);
        }
      }
      // The app polls the order (a late notification is asked of the provider).
      const deadline = Date.now() + 60_000;
      let status = 'pending';
      while (Date.now() < deadline) {
        const o = await api<{ status: string }>('GET', `/api/orders/${no}`, token);
        status = o.body.status ?? `error ${o.status}`;
        if (['delivered', 'refunded', 'closed'].includes(status)) break;
        await sleep(200);
      }
      if (!leavesFirst && status === 'delivered') {
        await bluecard.park(car.parkNumber).leave({ lane: '东门出口', orderId: car.orderId, force: true, settle: 'cash' });
      }
      return status;
    }

    // ---- the run: batches of cars ----------------------------------------------------------------------------
    const killEvery = Math.max(1, Math.floor(opts.stays / (kills + 1)));
    let done = 0;
    let nextKill = killEvery;
    let plateSeq = 0;
    const batchSize = Math.max(concurrency, Math.min(200, Math.ceil(opts.stays / 20)));
    while (done < opts.stays) {
      const n = Math.min(batchSize, opts.stays - done);
      const cars: Car[] = [];
      for (let i = 0; i < n; i++) {
        const park = pick(parks);
        const seq = ++plateSeq;
        const plate = `京${String.fromCharCode(65 + (seq % 26))}${String(seq).padStart(5, '0').slice(-5)}`;
        // Entry records go out as the lot sends them, up to 10 a call; a driver who asks before their car's
        // record arrived is answered stay_unknown and asks again.
        const car = await bluecard.park(park.parkNumber).arrive({ lane: '东门入口', plate, force: true, wait: false });
        cars.push({ parkNumber: park.parkNumber, plate, orderId: car.orderId });
      }
      lotClock.set(lotClock.now() + (20 + Math.floor(random() * 180)) * 60_000);
      let next = 0;
      const worker = async () => {
        while (next < cars.length) {
          const car = cars[next++]!;
          const driver = pick(drivers);
          try {
            if (chance(0.05)) {
              count(faults, 'two drivers on one stay');
              let other = pick(drivers);
              while (other === driver) other = pick(drivers);
              const [a, b] = await Promise.all([payStay(car, driver), payStay(car, other, true)]);
              count(outcomes, a);
              count(outcomes, `second driver: ${b}`);
            } else count(outcomes, await payStay(car, driver));
          } catch (e) {
            count(outcomes, `error: ${(e as Error).message.slice(0, 80)}`);
          }
          done++;
          if (done >= nextKill && parkpay.kills < kills) {
            nextKill += killEvery;
            count(faults, 'kill -9 of ParkPay mid-flow');
            void parkpay.crash();
          }
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      log(`${done}/${opts.stays} stays (${Math.round((Date.now() - t0) / 1000)} s, ${parkpay.kills} kills)`);
    }

    // ---- settle, then count ----------------------------------------------------------------------------------
    const orders = conn.collection('orders');
    const unsettled = async () => orders.countDocuments({ status: { $in: ['paid', 'refunding'] } });
    const settleBy = Date.now() + 90_000;
    while ((await unsettled()) > 0 && Date.now() < settleBy) await sleep(1_000);

    const ours = (await orders.find({}).toArray()) as unknown as {
      _id: string;
      driverId: string;
      status: string;
      payment?: { paidFen: number };
      refund?: { fen: number; state: string };
    }[];
    const byNo = new Map(ours.map((o) => [o._id, o]));
    // What the providers took and gave back (their own books).
    const taken = new Map<string, number>();
    for (const o of wechat.orders()) if (o.transactionId && (o.tradeState === 'SUCCESS' || o.tradeState === 'REFUND')) taken.set(o.outTradeNo, o.totalFen);
    for (const t of alipay.trades()) if (t.paidAt !== undefined) taken.set(t.outTradeNo, t.totalFen);
    const refunded = new Map<string, number>();
    for (const r of wechat.refunds()) if (r.status === 'SUCCESS') refunded.set(r.outTradeNo, (refunded.get(r.outTradeNo) ?? 0) + r.refundFen);
    for (const t of alipay.trades()) for (const r of t.refunds) if (!r.processing) refunded.set(t.outTradeNo, (refunded.get(t.outTradeNo) ?? 0) + r.refundFen);
    // What the lots counted from us (4.5), and per stay.
    const delivered = new Map<string, number>();
    const perStay = new Map<string, number>();
    for (const p of parks) {
      for (const pay of bluecard.park(p.parkNumber).dump().payments) {
        if (pay.via !== '4.5') continue;
        delivered.set(pay.payNo, (delivered.get(pay.payNo) ?? 0) + pay.fen);
        const stay = `${p.parkNumber}/${pay.orderId}`;
        perStay.set(stay, (perStay.get(stay) ?? 0) + 1);
      }
    }
    let takenFen = 0;
    let deliveredFen = 0;
    let refundedFen = 0;
    let inFlightFen = 0;
    const wrongly: string[] = [];
    for (const [no, fen] of taken) {
      takenFen += fen;
      const d = delivered.get(no) ?? 0;
      const r = refunded.get(no) ?? 0;
      const o = byNo.get(no);
      const flight = o && (o.status === 'paid' || o.status === 'refunding') ? fen - d - r : 0;
      deliveredFen += d;
      refundedFen += r;
      inFlightFen += flight;
      if (d + r + flight !== fen) wrongly.push(`${no} (${o?.driverId ?? '?'}): taken ${fen}, delivered ${d}, refunded ${r}, in flight ${flight}`);
      else if (d > 0 && r > 0) wrongly.push(`${no} (${o?.driverId ?? '?'}): both delivered and refunded`);
    }
    // The lots counted from us only what was taken.
    for (const [no, d] of delivered) if (!taken.has(no)) wrongly.push(`${no}: delivered ${d} fen never taken`);
    for (const [stay, n] of perStay) if (n > 1) wrongly.push(`stay ${stay}: the lot counted ${n} payments`);
    if (forgedSuccesses) wrongly.push(`${forgedSuccesses} forged 4.27 calls took money`);
    const result: SimulationResult = {
      stays: opts.stays,
      parks: parkCount,
      payments: taken.size,
      takenFen,
      deliveredFen,
      refundedFen,
      inFlightFen,
      balanced: takenFen === deliveredFen + refundedFen + inFlightFen,
      wronglyCharged: wrongly.length,
      wrongly: wrongly.slice(0, 20),
      kills: parkpay.kills,
      faults,
      outcomes,
      seconds: Math.round((Date.now() - t0) / 1000),
    };
    await conn.dropDatabase().catch(() => undefined);
    return result;
  } finally {
    for (const c of cleanup) await c().catch(() => undefined);
  }
}

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

export function describeResult(r: SimulationResult): string[] {
  return [
    `${r.stays} stays across ${r.parks} parks, ${r.payments} payments taken, ${r.kills} kill -9s of ParkPay, ${r.seconds} s`,
    `faults: ${Object.entries(r.faults).map(([k, v]) => `${k} ${v}`).join('; ')}`,
    `outcomes: ${Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join('; ')}`,
    `Σ taken ${yuan(r.takenFen)} = Σ delivered ${yuan(r.deliveredFen)} + Σ refunded ${yuan(r.refundedFen)} + Σ in flight ${yuan(r.inFlightFen)}  → ${r.balanced ? 'balanced to the fen' : `OFF BY ${r.takenFen - r.deliveredFen - r.refundedFen - r.inFlightFen} fen`}`,
    `wrongly charged drivers: ${r.wronglyCharged}${r.wrongly.length ? `\n  ${r.wrongly.join('\n  ')}` : ''}`,
  ];
}

if (require.main === module) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of running) child.kill('SIGKILL');
      process.exit(130);
    });
  }
  const [stays = '10000', parks = '4', concurrency = '24', seed = '1'] = process.argv.slice(2);
  simulateMoney({ stays: Number(stays), parks: Number(parks), concurrency: Number(concurrency), seed: Number(seed) }).then(
    (r) => {
      for (const line of describeResult(r)) console.log(line);
      process.exit(r.balanced && r.wronglyCharged === 0 ? 0 : 1);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}

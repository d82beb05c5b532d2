/**
 * Demo mode: the stand-ins ParkPay talks to when nothing real is configured, each a faithful sandbox that
 * checks our signatures and signs its answers like the real service:
 *  - the Bluecard sandbox with its demo park (`p_demo_001`), registered with ParkPay and pointed back at it;
 *    like a lot that uses ParkPay for lane payments, it asks 4.16 when a car owing money reaches an exit;
 *  - the WeChat mini-program login sandbox (code2Session);
 *  - the WeChat Pay sandbox (public-key mode, the same appid as the login) and the Alipay sandbox, whose
 *    generated merchant credentials become ParkPay's payment configuration;
 *  - one clock for all of them and for ParkPay (real time plus an offset that only grows), so moving the
 *    lot's time moves everyone's and times always agree;
 *  - the lot playground at /demo (playground/), and the driver app's H5 build made on first start.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type Router from '@koa/router';
import type { Config } from '../src/config';
import { ScaledClock, type Clock } from '../src/core/clock';
import type { InvoicingConfig, MessagesConfig } from '../src/config-notices';
import type { Logger } from '../src/logger';
import type { Park } from '../src/core/parks';
import { AppError } from '../src/core/errors';
import { formatChinaTime } from '../../shared/time';
import type { OperatorService } from '../src/core/operators/service';
import { ALIPAY_SANDBOX_TEMPLATES, startAlipaySandbox, type AlipaySandbox } from './alipay';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER, demoParks, startBluecardSandbox, type BluecardSandbox } from './bluecard';
import { tariffOf, type TariffDefinition } from './bluecard/tariff';
import { SANDBOX_SUBSCRIBE_TEMPLATES as WX, startWechatLoginSandbox, type WechatLoginSandbox, type WechatLoginSandboxApp } from './wechat-login';
import { startWechatPaySandbox, type WechatPaySandbox } from './wechatpay';
import { buildingPage, buildNeeded, DriverApp } from './driver-app';
import { playgroundRouter } from './playground/router';

export interface Demo {
  /** Parks to register with ParkPay (pointing at the sandbox). */
  parks: Park[];
  /** The WeChat login sandbox's app, shaped like config.wechatMiniProgram. */
  wechatLogin: WechatLoginSandboxApp;
  /** Merchant credentials of the payment sandboxes, shaped like config.wechatPay / config.alipay. */
  wechatPay: NonNullable<Config['wechatPay']>;
  alipay: NonNullable<Config['alipay']>;
  /** E-invoicing on the WeChat Pay sandbox (config.invoicing's shape). */
  invoicing: InvoicingConfig;
  /** Messages on the sandboxes' templates (config.messages' shape). */
  messages: MessagesConfig;
  sandboxes: { bluecard: BluecardSandbox; wechatLogin: WechatLoginSandbox; wechatPay: WechatPaySandbox; alipay: AlipaySandbox };
  /** The one clock of demo mode: every stand-in reads it, and ParkPay too (unless a test gives ParkPay its own). */
  clock: Clock;
  /** /demo (the lot playground), and the driver app's "being built" page while its build runs. */
  router: Router;
  /** Tell the stand-ins where ParkPay listens (they start calling it). */
  connect(parkPayUrl: string): Promise<void>;
  /** Lines for the start banner (after connect: with ParkPay's URLs). */
  describe(): string[];
  /**
   * Build the driver app (H5) when it is missing or older than its sources, in the background; progress
   * lines go to `say` (and `progress`, a line that replaces itself). Resolves when built or given up.
   */
  prepareDriverApp(o: { say: (line: string) => void; progress?: (line: string) => void; logFile: string }): Promise<void>;
  stop(): Promise<void>;
}

export interface DemoOptions {
  logger: Logger;
  host: string;
  ports: Config['demo'];
  /** The stand-ins' clock (default: real time plus a lead, settable). */
  clock?: Clock;
  /**
   * ParkPay reads this clock too (default true): it then only moves forward. False: a test that moves
   * ParkPay's own clock keeps the stand-ins apart, free to move both ways.
   */
  shared?: boolean;
  /** The H5 build ParkPay serves (config.h5Dir). */
  h5Dir?: string;
  /**
   * Where the demo clock's lead over real time is kept (with the embedded database's data): records made at
   * demo times stay in the past after a restart. Unset: the clock starts at real time.
   */
  clockFile?: string;
}

/**
 * What drivers read about the demo park: its sandbox tariff in words, an address and a phone. Written
 * only while the park has no service description (an operator's edits stay).
 */
function demoService(t: Partial<TariffDefinition> | undefined) {
  const tariff = tariffOf(t);
  const yuan = (fen: number) => (fen % 100 === 0 ? String(fen / 100) : (fen / 100).toFixed(2));
  return {
    tariffText: `停车 ${tariff.freeMinutes} 分钟内免费；超过后每小时 ${yuan(tariff.perHourFen)} 元，不足 1 小时按 1 小时计；每 24 小时最多 ${yuan(tariff.dailyCapFen)} 元。`,
    freeMinutes: tariff.freeMinutes,
    paidFreeMinutes: tariff.paidFreeMinutes,
    phone: '010-6555 0100',
    address: '北京市朝阳区示例路 1 号',
  };
}

/** Paths ParkPay's other ports own: never answered with the "being built" page. */
const NOT_APP = /^\/(api|bluecard|notify|healthz|readyz|demo)(\/|$)/;

type Sandboxes = Demo['sandboxes'];

export async function startDemo(opts: DemoOptions): Promise<Demo> {
  const shared = opts.shared ?? true;
  const clockFile = shared ? opts.clockFile : undefined;
  const clock = opts.clock ?? new ScaledClock(Date.now() + savedLead(clockFile), 1);
  const started: { stop(): Promise<void> }[] = [];
  if (!opts.clock && clockFile) started.push(keepLead(clock, clockFile, opts.logger));
  try {
    const sandboxes = await startSandboxes(opts, clock, shared, (s) => started.push(s));
    const { bluecard, wechatLogin, wechatPay, alipay } = sandboxes;
    const def = demoParks()[0]!;
    let parkPayUrl: string | undefined;
    const h5Dir = path.resolve(opts.h5Dir ?? 'miniapp/dist/h5');
    const driverApp = new DriverApp(h5Dir);
    return {
      parks: [{ parkNumber: DEMO_PARK_NUMBER, key: DEMO_PARK_KEY, bluecardBaseUrl: bluecard.url, name: def.name, settings: { service: demoService(def.tariff) } }],
      wechatLogin: wechatLogin.app,
      wechatPay: { ...wechatPay.merchant, baseUrl: wechatPay.url } as NonNullable<Config['wechatPay']>,
      alipay: { ...alipay.app, keyType: 'PKCS8' as const, gateway: alipay.gateway },
      invoicing: demoInvoicing(sandboxes),
      messages: demoMessages(),
      sandboxes,
      clock,
      router: demoRouter(sandboxes, clock, driverApp, () => parkPayUrl),
      connect: (url) => {
        parkPayUrl = url;
        return bluecard.setParkPayBaseUrl(url);
      },
      describe: () => banner(parkPayUrl ?? '', sandboxes, clock),
      prepareDriverApp: async (o) => {
        if (await driverApp.prepare({ ...o, need: buildNeeded(h5Dir) })) o.say(`  ▶ the driver app is ready: ${parkPayUrl ?? ''}/demo`);
      },
      stop: async () => {
        driverApp.stop();
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  } catch (e) {
    await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
    throw e;
  }
}

/** Start the four stand-ins, each handed to `started` as soon as it runs (so a later failure stops it). */
async function startSandboxes(opts: DemoOptions, clock: Clock, shared: boolean, started: (s: { stop(): Promise<void> }) => void): Promise<Sandboxes> {
  const track = <T extends { stop(): Promise<void> }>(s: T) => (started(s), s);
  const bluecard = track(
    await startBluecardSandbox({
      parks: demoParks(),
      host: opts.host,
      port: opts.ports.bluecardSandboxPort,
      clock,
      clockForwardOnly: shared,
      exitWithholding: true,
      onError: (e) => opts.logger.warn({ err: e }, 'Bluecard sandbox problem'),
    }),
  );
  const wechatLogin = track(await startWechatLoginSandbox({ host: opts.host, port: opts.ports.wechatLoginSandboxPort }));
  // The payment sandboxes check request timestamps against their clock: ParkPay's when shared (Alipay's
  // trade timeouts and notification retries then run on it, checked every 200 ms), else real time.
  const wechatPay = track(
    await startWechatPaySandbox({
      mode: 'publicKey',
      appId: wechatLogin.app.appId,
      host: opts.host,
      port: opts.ports.wechatPaySandboxPort,
      ...(shared ? { clock } : {}),
    }),
  );
  const alipay = track(await startAlipaySandbox({ host: opts.host, port: opts.ports.alipaySandboxPort, ...(shared ? { clock, pollMs: 200 } : {}) }));
  return { bluecard, wechatLogin, wechatPay, alipay };
}

/** /demo (the lot playground), and the driver app's "being built" page while its build runs. */
function demoRouter(s: Sandboxes, clock: Clock, driverApp: DriverApp, parkPayUrl: () => string | undefined): Router {
  const router = playgroundRouter({
    parkNumber: DEMO_PARK_NUMBER,
    bluecard: s.bluecard,
    wechatPay: s.wechatPay,
    alipay: s.alipay,
    clock,
    parkPayUrl,
    operator: { username: DEMO_OPERATOR.username, password: DEMO_OPERATOR.password },
    driverApp: () => driverApp.status(),
  });
  // While the driver app is being built (or has no build), its pages say so instead of a bare 404.
  router.get(/^\/.*/, async (ctx, next) => {
    const status = driverApp.status();
    if (status.state === 'ready' || NOT_APP.test(ctx.path)) return next();
    ctx.status = status.state === 'missing' ? 404 : 503;
    ctx.set('retry-after', '3');
    ctx.set('cache-control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = buildingPage(status);
  });
  return router;
}

/** E-invoicing on the WeChat Pay sandbox, for the demo park. */
function demoInvoicing(s: Sandboxes): InvoicingConfig {
  return {
    wechat: {
      showFapiaoCell: false,
      sellerName: '示例停车管理有限公司',
      // Issued fapiao go into the payer's card package (the sandbox keeps the card).
      cardTemplate: { cardAppid: s.wechatLogin.app.appId, logoUrl: `${s.wechatPay.url}/__sandbox/fapiao/logo.png`, payeeName: '示例停车场' },
    },
    lineItem: { goodsName: '停车服务费', taxCode: '3040502020200000000', taxRate: 900, unit: '次' },
    parks: { [DEMO_PARK_NUMBER]: { goodsName: '停车服务费', taxCode: '3040502020200000000', taxRate: 900 } },
  };
}

/** The start banner's lines: where to begin, and each sandbox by a page that opens in a browser. */
function banner(u: string, s: Sandboxes, clock: Clock): string[] {
  const { bluecard, wechatLogin, wechatPay, alipay } = s;
  const def = demoParks()[0]!;
  return [
    `  ▶ lot playground (start here): ${u}/demo`,
    `  driver app, as a scan of lane 1 ${def.lanes[0]!.name} opens it: ${u}/q/${DEMO_PARK_NUMBER}/1`,
    `  operator console: ${u}/#/packages/op/login/index  (demo admin: ${DEMO_OPERATOR.username} / ${DEMO_OPERATOR.password})`,
    // The sandboxes' roots answer like the real services: 404.
    `  Bluecard sandbox: ${bluecard.url}/sandbox/  (control API; the lot: ${bluecard.url}/sandbox/parks/${DEMO_PARK_NUMBER})`,
    `  WeChat login sandbox: ${wechatLogin.url}/__sandbox/calls  (a wx.login code: POST ${wechatLogin.url}/__sandbox/code {"user":"zhang"}; H5: POST /api/auth/demo {"name":"zhang"})`,
    `  WeChat Pay sandbox: ${wechatPay.url}/__sandbox/state  (e-invoicing: ${wechatPay.url}/__sandbox/fapiao/state)`,
    `  Alipay sandbox: ${alipay.url}/__sandbox/trades`,
    `  booth payment codes (4.24): WeChat POST ${wechatPay.url}/__sandbox/micropay/codes {"behaviour":"pay"|"password"}, Alipay POST ${alipay.url}/__sandbox/payment-code {"user":"zhang"}`,
    `  demo clock: one for ParkPay and every sandbox, now ${formatChinaTime(clock.now())}; move it forward in the playground or with POST ${bluecard.url}/sandbox/clock {"advanceMinutes":75}`,
    `  demo park ${DEMO_PARK_NUMBER} "${def.name}", key ${DEMO_PARK_KEY}, lanes: ${def.lanes.map((l) => `${l.passagewayId} ${l.name}`).join(', ')}`,
  ];
}

/** The demo clock's lead over real time saved in `file` (0 when none). */
function savedLead(file: string | undefined): number {
  if (!file || !existsSync(file)) return 0;
  try {
    const lead = (JSON.parse(readFileSync(file, 'utf8')) as { leadMs?: unknown }).leadMs;
    return typeof lead === 'number' && Number.isFinite(lead) && lead > 0 ? lead : 0;
  } catch {
    return 0;
  }
}

/** Save the clock's lead whenever it changed (checked every 2 s, and at stop). */
function keepLead(clock: Clock, file: string, logger: Logger): { stop(): Promise<void> } {
  let saved = savedLead(file);
  const save = () => {
    const lead = Math.round(clock.now() - Date.now());
    if (Math.abs(lead - saved) < 1000) return;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify({ leadMs: lead, savedAt: new Date().toISOString() }));
      saved = lead;
    } catch (err) {
      logger.warn({ err, file }, 'demo clock: could not save its lead over real time');
    }
  };
  const timer = setInterval(save, 2000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      save();
    },
  };
}

/** The sandboxes' subscribe templates, each keyword filled from what its kind has. */
export function demoMessages(): MessagesConfig {
  const A = ALIPAY_SANDBOX_TEMPLATES;
  return {
    wechat: {
      templates: {
        entry: { templateId: WX.entry.id, fields: { thing1: 'parkName', car_number2: 'plate', time3: 'inTime', thing4: 'note' } },
        payment: { templateId: WX.payment.id, fields: { thing1: 'parkName', car_number2: 'plate', amount3: 'amount', time4: 'paidAt', thing5: 'note' } },
        free_exit_ending: { templateId: WX.free_exit_ending.id, fields: { thing1: 'parkName', car_number2: 'plate', time3: 'leaveBy', thing4: 'note' } },
        deduction: { templateId: WX.deduction.id, fields: { thing1: 'parkName', car_number2: 'plate', amount3: 'amount', time4: 'paidAt' } },
        refund: { templateId: WX.refund.id, fields: { thing1: 'parkName', amount2: 'amount', time3: 'refundedAt', thing4: 'reason' } },
        pass_expiring: { templateId: WX.pass_expiring.id, fields: { thing1: 'parkName', car_number2: 'plate', date3: 'passEndsAt', thing4: 'note' } },
      },
      miniprogramState: 'developer',
      lang: 'zh_CN',
    },
    alipay: {
      templates: {
        entry: { templateId: A.entry.id, fields: { keyword1: 'parkName', keyword2: 'plate', keyword3: 'inTime', keyword4: 'note' } },
        payment: { templateId: A.payment.id, fields: { keyword1: 'parkName', keyword2: 'plate', keyword3: 'amount', keyword4: 'paidAt', keyword5: 'note' } },
        free_exit_ending: { templateId: A.free_exit_ending.id, fields: { keyword1: 'parkName', keyword2: 'plate', keyword3: 'leaveBy', keyword4: 'note' } },
        deduction: { templateId: A.deduction.id, longTerm: true, fields: { keyword1: 'parkName', keyword2: 'plate', keyword3: 'amount', keyword4: 'paidAt' } },
        refund: { templateId: A.refund.id, fields: { keyword1: 'parkName', keyword2: 'amount', keyword3: 'refundedAt', keyword4: 'reason' } },
        pass_expiring: { templateId: A.pass_expiring.id, fields: { keyword1: 'parkName', keyword2: 'plate', keyword3: 'passEndsAt', keyword4: 'note' } },
      },
    },
    maxAttempts: 5,
    freeExitLeadMinutes: 3,
  };
}

/** Demo mode's operator account (an admin): named in the README and the start banner. Demo mode only. */
export const DEMO_OPERATOR = { username: 'demo-admin', password: 'parkpay-demo-2026', displayName: '演示管理员' } as const;

/** Create the demo operator unless it exists (a kept data directory): its password is then left as it is. */
export async function ensureDemoOperator(operators: OperatorService, logger: Logger): Promise<void> {
  try {
    await operators.createOperator('system', { ...DEMO_OPERATOR, role: 'admin' });
    logger.info({ username: DEMO_OPERATOR.username }, 'demo operator created');
  } catch (e) {
    if (!(e instanceof AppError && e.code === 'username_taken')) throw e;
  }
}

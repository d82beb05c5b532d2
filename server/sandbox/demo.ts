/**
 * Demo mode: the stand-ins ParkPay talks to when nothing real is configured, each a faithful sandbox that
 * checks our signatures and signs its answers like the real service:
 *  - the Bluecard sandbox with its demo park (`p_demo_001`), registered with ParkPay and pointed back at it;
 *  - the WeChat mini-program login sandbox (code2Session);
 *  - the WeChat Pay sandbox (public-key mode, the same appid as the login) and the Alipay sandbox, whose
 *    generated merchant credentials become ParkPay's payment configuration.
 */
import type { Config } from '../src/config';
import type { Logger } from '../src/logger';
import type { Park } from '../src/core/parks';
import { AppError } from '../src/core/errors';
import type { OperatorService } from '../src/core/operators/service';
import { startAlipaySandbox, type AlipaySandbox } from './alipay';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER, demoParks, startBluecardSandbox, type BluecardSandbox } from './bluecard';
import { tariffOf, type TariffDefinition } from './bluecard/tariff';
import { startWechatLoginSandbox, type WechatLoginSandbox, type WechatLoginSandboxApp } from './wechat-login';
import { startWechatPaySandbox, type WechatPaySandbox } from './wechatpay';

export interface Demo {
  /** Parks to register with ParkPay (pointing at the sandbox). */
  parks: Park[];
  /** The WeChat login sandbox's app, shaped like config.wechatMiniProgram. */
  wechatLogin: WechatLoginSandboxApp;
  /** Merchant credentials of the payment sandboxes, shaped like config.wechatPay / config.alipay. */
  wechatPay: NonNullable<Config['wechatPay']>;
  alipay: NonNullable<Config['alipay']>;
  sandboxes: { bluecard: BluecardSandbox; wechatLogin: WechatLoginSandbox; wechatPay: WechatPaySandbox; alipay: AlipaySandbox };
  /** Tell the stand-ins where ParkPay listens (they start calling it). */
  connect(parkPayUrl: string): Promise<void>;
  /** Lines for the start banner. */
  describe(): string[];
  stop(): Promise<void>;
}

export interface DemoOptions {
  logger: Logger;
  host: string;
  ports: Config['demo'];
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

export async function startDemo(opts: DemoOptions): Promise<Demo> {
  const started: { stop(): Promise<void> }[] = [];
  const track = <T extends { stop(): Promise<void> }>(s: T) => (started.push(s), s);
  try {
    const bluecard = track(
      await startBluecardSandbox({
        parks: demoParks(),
        host: opts.host,
        port: opts.ports.bluecardSandboxPort,
        onError: (e) => opts.logger.warn({ err: e }, 'Bluecard sandbox problem'),
      }),
    );
    const wechatLogin = track(await startWechatLoginSandbox({ host: opts.host, port: opts.ports.wechatLoginSandboxPort }));
    const wechatPay = track(
      await startWechatPaySandbox({ mode: 'publicKey', appId: wechatLogin.app.appId, host: opts.host, port: opts.ports.wechatPaySandboxPort }),
    );
    const alipay = track(await startAlipaySandbox({ host: opts.host, port: opts.ports.alipaySandboxPort }));
    const def = demoParks()[0]!;
    return {
      parks: [{ parkNumber: DEMO_PARK_NUMBER, key: DEMO_PARK_KEY, bluecardBaseUrl: bluecard.url, name: def.name, settings: { service: demoService(def.tariff) } }],
      wechatLogin: wechatLogin.app,
      wechatPay: { ...wechatPay.merchant, baseUrl: wechatPay.url } as NonNullable<Config['wechatPay']>,
      alipay: { ...alipay.app, keyType: 'PKCS8' as const, gateway: alipay.gateway },
      sandboxes: { bluecard, wechatLogin, wechatPay, alipay },
      connect: (url) => bluecard.setParkPayBaseUrl(url),
      describe: () => [
        `  Bluecard sandbox: ${bluecard.url}  (control API: ${bluecard.url}/sandbox/)`,
        `  WeChat login sandbox: ${wechatLogin.url}  (a wx.login code: POST ${wechatLogin.url}/__sandbox/code {"user":"zhang"}; H5: POST /api/auth/demo {"name":"zhang"})`,
        `  WeChat Pay sandbox: ${wechatPay.url}  (the payer pays: POST ${wechatPay.url}/__sandbox/…)`,
        `  Alipay sandbox: ${alipay.url}  (control: ${alipay.url}/__sandbox/)`,
        `  booth payment codes (4.24): WeChat POST ${wechatPay.url}/__sandbox/micropay/codes {"behaviour":"pay"|"password"}, Alipay POST ${alipay.url}/__sandbox/payment-code {"user":"zhang"}`,
        `  operator console login (demo admin): username ${DEMO_OPERATOR.username}, password ${DEMO_OPERATOR.password}  (POST /api/op/auth/login)`,
        `  demo park ${DEMO_PARK_NUMBER} "${def.name}", key ${DEMO_PARK_KEY}, lanes: ${def.lanes.map((l) => `${l.passagewayId} ${l.name}`).join(', ')}`,
      ],
      stop: async () => {
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  } catch (e) {
    await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
    throw e;
  }
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

/**
 * Asking the driver for consent to messages (订阅消息) at the moments the platforms allow: a tap to pay, to bind
 * a plate, to sign an agreement. WeChat only shows its sheet from a tap, so the template ids are loaded ahead
 * (prepareConsent, when a page opens) and askConsent runs from the tap without waiting on the network first.
 * What the driver answered goes to the server (POST /api/me/messages/consents). Never in the way of what the
 * driver tapped for: every failure is swallowed.
 *
 * weapp: Taro.requestSubscribeMessage; alipay: my.requestSubscribeMessage; H5 demo: the WeChat login sandbox
 * plays the WeChat client (POST <wechatLoginSandbox>/__sandbox/subscribe {openid, tmplIds}).
 */
import Taro from '@tarojs/taro';
import { messageEndpoints, type ConsentMoment, type ConsentResult, type MessageSettingsView } from '@shared/api/messages';
import { call, rawJson, sessionToken } from './api';
import { platform } from './platform';
import { loadDemoConfig } from './wallet';

let settings: MessageSettingsView | undefined;
let loading: Promise<MessageSettingsView | undefined> | undefined;

/** Load what to ask for (once a page that may ask opens). Only for a logged-in driver. */
export function prepareConsent(): Promise<MessageSettingsView | undefined> {
  if (!sessionToken()) return Promise.resolve(undefined);
  loading ??= call(messageEndpoints.settings, {})
    .then((s) => (settings = s))
    .catch(() => undefined)
    .finally(() => (loading = undefined));
  return loading;
}

/** What the server said last (the messages page keeps it fresh). */
export function rememberSettings(s: MessageSettingsView): void {
  settings = s;
}

function wechatAsk(ids: string[]): Promise<Record<string, ConsentResult>> {
  return new Promise((resolve) => {
    Taro.requestSubscribeMessage({
      tmplIds: ids,
      entityIds: ids,
      success: (r: Record<string, unknown>) => resolve(Object.fromEntries(ids.filter((id) => typeof r[id] === 'string').map((id) => [id, r[id] as ConsentResult]))),
      fail: () => resolve({}),
    } as unknown as Parameters<typeof Taro.requestSubscribeMessage>[0]);
  });
}

function alipayAsk(ids: string[]): Promise<Record<string, ConsentResult>> {
  return new Promise((resolve) => {
    if (typeof my === 'undefined' || !my?.requestSubscribeMessage) return resolve({});
    my.requestSubscribeMessage({
      entityIds: ids,
      success: (r) => {
        const yes = new Set(r.result?.subscribeEntityIds ?? r.subscribeEntityIds ?? []);
        resolve(Object.fromEntries(ids.map((id) => [id, yes.has(id) ? 'accept' : 'reject'])));
      },
      fail: () => resolve({}),
    });
  });
}

async function demoAsk(ids: string[], openid: string): Promise<Record<string, ConsentResult>> {
  const { wechatLoginSandbox } = await loadDemoConfig();
  const r = await rawJson(`${wechatLoginSandbox.replace(/\/$/, '')}/__sandbox/subscribe`, 'POST', { openid, tmplIds: ids });
  const answer = (r.data ?? {}) as Record<string, unknown>;
  return Object.fromEntries(ids.filter((id) => answer[id] === 'accept' || answer[id] === 'reject').map((id) => [id, answer[id] as ConsentResult]));
}

/** Ask now (from a tap) for the templates of `moment`, and tell the server the answers. */
export async function askConsent(moment: ConsentMoment): Promise<void> {
  const s = settings;
  if (!s) {
    void prepareConsent();
    return;
  }
  const ids = s.moments[moment] ?? [];
  if (!ids.length || !s.platform) return;
  try {
    const p = platform();
    const results = p === 'weapp' ? await wechatAsk(ids) : p === 'alipay' ? await alipayAsk(ids) : s.recipient ? await demoAsk(ids, s.recipient) : {};
    if (!Object.keys(results).length) return;
    settings = await call(messageEndpoints.consents, { body: { moment, results } });
  } catch {
    // Consent is optional: the driver's payment, plate or agreement goes on regardless.
  }
}

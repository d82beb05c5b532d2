/**
 * A fake API behind the Taro.request mock: routes by "METHOD /path", records every call, answers like
 * Taro does (statusCode + data) or fails like a lost network (rejects).
 */
import Taro from './taro-mock';

export interface Sent {
  method: string;
  url: string;
  header: Record<string, string>;
  body: unknown;
}

export type Answer = { status?: number; data: unknown } | 'network';
export type Route = Answer | ((sent: Sent) => Answer);

export function fakeApi(routes: Record<string, Route | Route[]>) {
  const sent: Sent[] = [];
  const queues = new Map<string, Route[]>(Object.entries(routes).map(([k, v]) => [k, Array.isArray(v) ? [...v] : [v]]));
  Taro.request.mockImplementation(async (o: { url: string; method: string; header: Record<string, string>; data?: string }) => {
    const s: Sent = { method: o.method, url: o.url, header: o.header, body: o.data === undefined ? undefined : JSON.parse(o.data) };
    sent.push(s);
    const path = o.url.replace(/^https?:\/\/[^/]+/, '').split('?')[0]!;
    const key = `${o.method} ${decodeURIComponent(path)}`;
    const q = queues.get(key);
    if (!q || q.length === 0) throw new Error(`fakeApi: no route for ${key}`);
    const route = q.length > 1 ? q.shift()! : q[0]!;
    const a = typeof route === 'function' ? route(s) : route;
    if (a === 'network') throw { errMsg: 'request:fail timeout' };
    return { statusCode: a.status ?? 200, data: a.data, header: {} };
  });
  return { sent, calls: (key: string) => sent.filter((s) => `${s.method} ${decodeURIComponent(s.url.replace(/^https?:\/\/[^/]+/, '').split('?')[0]!)}` === key) };
}

export const session = (token = 'tok-1') => ({
  token,
  expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
  driver: { id: 'drv_1', createdAt: new Date().toISOString(), providers: { wechat: { maskedId: 'oDEM…x' }, alipay: null }, plates: [] },
});

/** Put a session in storage, as a login would have. */
export function loggedIn(token = 'tok-1'): void {
  Taro.setStorageSync('parkpay.session', { token, expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
}

/**
 * What each provider is answered for each reading of its notification, byte for byte: WeChat reads any 2xx
 * as received and retries anything else (its body says why); Alipay reads exactly `success` as received.
 * The gateways and the order service are stand-ins here: the route only carries a verdict to the order
 * service and an outcome back to the provider.
 */
import type { AddressInfo } from 'node:net';
import { createApp } from '../../../../server/src/app';
import type { NotificationVerdict, PaymentEvent, ReceivedNotification } from '../../../../server/src/core/orders/gateways';
import { createLogger } from '../../../../server/src/logger';
import { NOTIFY_PATHS, notifyRouter } from '../../../../server/src/port/notify/router';

type Outcome = 'applied' | 'duplicate' | 'refunding' | 'unknown';

const PAID: PaymentEvent = { kind: 'paid', provider: 'wechat', orderNo: 'PP1', transactionId: 'T1', paidFen: 400 };
const REFUND: PaymentEvent = { kind: 'refund', provider: 'wechat', orderNo: 'PP1', refundNo: 'PP1R1', outcome: { state: 'done' } };

async function post(path: string, verdict: NotificationVerdict, outcome: Outcome, body: string, contentType: string) {
  const seen: { events: PaymentEvent[]; received: ReceivedNotification[] } = { events: [], received: [] };
  const read = async (n: ReceivedNotification) => {
    seen.received.push(n);
    return verdict;
  };
  const app = createApp({
    logger: createLogger('silent'),
    databaseReady: async () => true,
    routers: [
      notifyRouter({
        orders: {
          onPaymentEvent: async (e) => {
            seen.events.push(e);
            return outcome;
          },
        },
        wechat: { paymentNotification: read, refundNotification: read },
        alipay: { paymentNotification: read },
      }),
    ],
  });
  const server = app.listen(0, '127.0.0.1');
  try {
    await new Promise((r) => server.once('listening', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text(), ...seen };
  } finally {
    await new Promise((r) => server.close(r));
  }
}

const UNVERIFIED: NotificationVerdict = { ok: false, refusal: 'unverified', reason: 'bad signature' };
const NOT_OURS: NotificationVerdict = { ok: false, refusal: 'not_ours', reason: 'for another merchant', detail: { mchid: 'x' } };
const NOTHING: NotificationVerdict = { ok: true };

describe('WeChat payment and refund notifications', () => {
  const fail = (message: string) => JSON.stringify({ code: 'FAIL', message });
  it.each([
    ['payment', NOTIFY_PATHS.wechat, UNVERIFIED, 'applied', 401, fail('verification failed')],
    ['payment', NOTIFY_PATHS.wechat, NOT_OURS, 'applied', 400, fail('not our merchant')],
    ['payment', NOTIFY_PATHS.wechat, NOTHING, 'applied', 204, ''],
    ['payment', NOTIFY_PATHS.wechat, { ok: true, event: PAID }, 'applied', 204, ''],
    ['payment', NOTIFY_PATHS.wechat, { ok: true, event: PAID }, 'duplicate', 204, ''],
    ['payment', NOTIFY_PATHS.wechat, { ok: true, event: PAID }, 'refunding', 204, ''],
    ['payment', NOTIFY_PATHS.wechat, { ok: true, event: PAID }, 'unknown', 404, fail('unknown order')],
    ['refund', NOTIFY_PATHS.wechatRefund, UNVERIFIED, 'applied', 401, fail('verification failed')],
    ['refund', NOTIFY_PATHS.wechatRefund, NOT_OURS, 'applied', 400, fail('not our merchant')],
    ['refund', NOTIFY_PATHS.wechatRefund, NOTHING, 'applied', 204, ''],
    ['refund', NOTIFY_PATHS.wechatRefund, { ok: true, event: REFUND }, 'applied', 204, ''],
    ['refund', NOTIFY_PATHS.wechatRefund, { ok: true, event: REFUND }, 'unknown', 404, fail('unknown refund')],
  ] as const)('%s at %s: %j, the order service saying %s → %i %s', async (_kind, path, verdict, outcome, status, text) => {
    const raw = '{"id":"N1", "resource":{}}';
    const r = await post(path, verdict, outcome, raw, 'application/json');
    expect({ status: r.status, text: r.text }).toEqual({ status, text });
    if (status >= 300) expect(r.type).toMatch(/^application\/json/);
    // The raw body reaches the gateway exactly as sent (the signature is over it), with the headers.
    expect(r.received[0]!.rawBody).toBe(raw);
    expect(r.received[0]!.headers['content-type']).toBe('application/json');
    // The order service hears of an event only: refusals and empty readings never reach it.
    expect(r.events).toEqual(verdict.ok && verdict.event ? [verdict.event] : []);
  });
});

describe('Alipay payment notifications', () => {
  it.each([
    [UNVERIFIED, 'applied', 'fail'],
    [NOT_OURS, 'applied', 'fail'],
    [NOTHING, 'applied', 'success'],
    [{ ok: true, event: { ...PAID, provider: 'alipay' } }, 'applied', 'success'],
    [{ ok: true, event: { ...PAID, provider: 'alipay' } }, 'duplicate', 'success'],
    [{ ok: true, event: { ...PAID, provider: 'alipay' } }, 'refunding', 'success'],
    [{ ok: true, event: { ...PAID, provider: 'alipay' } }, 'unknown', 'fail'],
  ] as const)('%j with the order service saying %s → 200 %s', async (verdict, outcome, text) => {
    const r = await post(NOTIFY_PATHS.alipay, verdict as NotificationVerdict, outcome, 'notify_id=n1&out_trade_no=PP1', 'application/x-www-form-urlencoded');
    expect({ status: r.status, type: r.type, text: r.text }).toEqual({ status: 200, type: 'text/plain; charset=utf-8', text });
    // The gateway reads the parsed form.
    expect(r.received[0]!.body).toEqual({ notify_id: 'n1', out_trade_no: 'PP1' });
    expect(r.events.length).toBe(verdict.ok && 'event' in verdict ? 1 : 0);
  });
});

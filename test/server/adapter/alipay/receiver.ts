/**
 * A notify_url for tests, built the way the real notification port will be: Koa + @koa/bodyparser (form),
 * adapter.verifyNotification, then checkNotificationMatches against the order the notification names, and
 * the answer `success` / `fail` as plain text. It records every delivery with its verdict.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import {
  checkNotificationMatches,
  notificationAnswer,
  type AlipayAdapter,
  type AlipayNotification,
  type NotificationRejection,
} from '../../../../server/src/adapter/alipay';

export interface Received {
  fields: Record<string, string>;
  ok: boolean;
  reason?: NotificationRejection;
  detail?: string;
  notification?: AlipayNotification;
  answer: string;
}

export interface Receiver {
  url: string;
  /** Orders we know: out_trade_no → amount in fen. */
  orders: Map<string, number>;
  received: Received[];
  /** Answers to give whatever the verdict (first in, first used); then the verdict decides. */
  script: string[];
  sellerId?: string;
  stop(): Promise<void>;
}

/** `adapter` is a getter: the adapter's notifyUrl is this receiver's url, so it is made after it. */
export async function startReceiver(adapter: () => AlipayAdapter, options: { sellerId?: string } = {}): Promise<Receiver> {
  const app = new Koa();
  const receiver: Receiver = {
    url: '',
    orders: new Map(),
    received: [],
    script: [],
    ...(options.sellerId ? { sellerId: options.sellerId } : {}),
    stop: async () => undefined,
  };
  app.use(bodyParser({ enableTypes: ['form'] }));
  app.use((ctx) => {
    if (ctx.method !== 'POST' || ctx.path !== '/notify/alipay') {
      ctx.status = 404;
      return;
    }
    const body = ctx.request.body as Record<string, string>;
    const record: Received = { fields: { ...body }, ok: false, answer: '' };
    const verdict = adapter().verifyNotification(body);
    if (!verdict.ok) {
      record.reason = verdict.reason;
      record.detail = verdict.detail;
    } else {
      const n = verdict.notification;
      record.notification = n;
      const totalFen = receiver.orders.get(n.outTradeNo);
      if (totalFen === undefined) {
        record.reason = 'out_trade_no_mismatch';
        record.detail = `no order ${n.outTradeNo}`;
      } else {
        const m = checkNotificationMatches(n, {
          appId: adapter().appId,
          outTradeNo: n.outTradeNo,
          totalFen,
          ...(receiver.sellerId ? { sellerId: receiver.sellerId } : {}),
        });
        if (m.ok) record.ok = true;
        else {
          record.reason = m.reason;
          record.detail = m.detail;
        }
      }
    }
    record.answer = receiver.script.length ? (receiver.script.shift() as string) : notificationAnswer(record.ok);
    receiver.received.push(record);
    ctx.type = 'text/plain';
    ctx.body = record.answer;
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify/alipay`;
  receiver.stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}

/**
 * A withholding notify_url for tests, built the way the notify port does it: Koa + @koa/bodyparser (form),
 * a verdict function (the adapter's verifyWithholdingNotification or the gateway's parseNotification), and
 * the answer `success` / `fail` as plain text. It records every delivery with its verdict.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { bodyParser } from '@koa/bodyparser';
import { notificationAnswer } from '../../../../server/src/adapter/alipay';

export interface Delivery<V> {
  fields: Record<string, string>;
  verdict: V;
  answer: string;
}

export interface WithholdingReceiver<V> {
  url: string;
  got: Delivery<V>[];
  stop(): Promise<void>;
}

export async function startWithholdingReceiver<V extends { ok: boolean }>(judge: (body: unknown) => V): Promise<WithholdingReceiver<V>> {
  const app = new Koa();
  const got: Delivery<V>[] = [];
  app.use(bodyParser({ enableTypes: ['form'] }));
  app.use((ctx) => {
    if (ctx.method !== 'POST' || ctx.path !== '/notify/alipay/withholding') {
      ctx.status = 404;
      return;
    }
    const body = ctx.request.body as Record<string, string>;
    const verdict = judge(body);
    const answer = notificationAnswer(verdict.ok);
    got.push({ fields: { ...body }, verdict, answer });
    ctx.type = 'text/plain';
    ctx.body = answer;
  });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify/alipay/withholding`,
    got,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

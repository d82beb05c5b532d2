/**
 * A merchant's notify_url for tests: a real HTTP server on 127.0.0.1:0 that records every delivery (raw
 * body, headers, arrival time) and answers what the test says (a fixed list of answers, or a handler such
 * as "verify with the adapter, 204 if it passes").
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  /** performance.now() at arrival. */
  at: number;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  answered: number;
}

export interface Answer {
  status: number;
  body?: string;
}

export class NotifyReceiver {
  url = '';
  readonly deliveries: Delivery[] = [];
  /** Answers in order; when used up, `fallback`. */
  answers: Answer[] = [];
  fallback: Answer = { status: 204 };
  /** When set, decides every answer (after `answers` is used up). */
  handler: ((d: Delivery) => Promise<Answer> | Answer) | undefined;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const d: Delivery = { at: performance.now(), headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8'), answered: 0 };
      this.deliveries.push(d);
      const next = this.answers.shift();
      let a: Answer;
      try {
        a = next ?? (this.handler ? await this.handler(d) : this.fallback);
      } catch {
        a = { status: 500, body: JSON.stringify({ code: 'FAIL', message: 'handler threw' }) };
      }
      d.answered = a.status;
      res.writeHead(a.status, a.body ? { 'Content-Type': 'application/json' } : {});
      res.end(a.body ?? '');
    });
  });

  async start(path = '/wechatpay/notify'): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

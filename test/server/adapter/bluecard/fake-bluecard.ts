/**
 * A fake Bluecard cloud on a real local HTTP server (127.0.0.1, port 0) for the down client's tests.
 * For every request it checks, independently of the client: POST, the /bcopenapi/out/<path> URL of a known
 * down interface, the content type, the `sign` header (md5(key + parkNumber), 32 lowercase hex, computed
 * here with node:crypto) and the body against the registry's EXACT request schema. Problems are recorded
 * on the hit and answered with a fail, so a test that forgets to look still fails.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { downInterface } from '../../../../shared/bluecard';

export interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: unknown;
  problems: string[];
}

/** What to answer: JSON `body` (or raw `text`) with `status` (default 200), or never answer at all. */
export type Reply = { status?: number; body?: unknown; text?: string } | 'hang';
export type Responder = Reply | ((hit: Hit, nth: number) => Reply);

export function md5(s: string): string {
  return createHash('md5').update(s, 'utf8').digest('hex');
}

export class FakeBluecard {
  readonly hits: Hit[] = [];
  private readonly replies = new Map<string, Responder>();
  private readonly counts = new Map<string, number>();
  private server: http.Server | undefined;
  private port = 0;

  /** keys by parkNumber */
  constructor(
    private readonly keys: Record<string, string>,
    private readonly defaults: Record<string, Reply> = {},
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Hits of one path. */
  hitsOf(path: string): Hit[] {
    return this.hits.filter((h) => h.path === path);
  }

  /** Every problem any hit had. */
  problems(): string[] {
    return this.hits.flatMap((h) => h.problems.map((p) => `${h.path}: ${p}`));
  }

  reply(path: string, responder: Responder): void {
    this.replies.set(path, responder);
  }

  reset(): void {
    this.hits.length = 0;
    this.replies.clear();
    this.counts.clear();
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  private handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const url = req.url ?? '';
    const m = /^\/bcopenapi\/out\/([A-Za-z]+)$/.exec(url);
    const path = m ? m[1] : url;
    const hit: Hit = { path, headers: req.headers, raw, body: undefined, problems: [] };
    this.hits.push(hit);
    const problem = (p: string) => hit.problems.push(p);

    if (req.method !== 'POST') problem(`method ${req.method}`);
    const iface = m ? downInterface(path) : undefined;
    if (!iface) problem(`unknown URL ${url}`);
    if (req.headers['content-type'] !== 'application/json;charset=utf-8') problem(`content-type ${req.headers['content-type']}`);
    try {
      hit.body = JSON.parse(raw);
    } catch {
      problem('body is not JSON');
    }
    const parkNumber = (hit.body as { parkNumber?: unknown } | undefined)?.parkNumber;
    const key = typeof parkNumber === 'string' ? this.keys[parkNumber] : undefined;
    const sign = req.headers.sign;
    if (key === undefined) problem(`unknown park ${String(parkNumber)}`);
    else if (typeof sign !== 'string' || !/^[0-9a-f]{32}$/.test(sign) || sign !== md5(key + parkNumber)) problem(`bad sign ${String(sign)}`);
    if (iface && hit.body !== undefined) {
      const parsed = iface.request.safeParse(hit.body);
      if (!parsed.success) problem(`request does not match ${iface.section} ${iface.name}: ${parsed.error.message}`);
    }

    if (hit.problems.length > 0) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'fail', errorCode: `fake bluecard: ${hit.problems.join('; ')}` }));
      return;
    }
    const nth = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, nth);
    const responder = this.replies.get(path) ?? this.defaults[path] ?? { status: 404, text: 'no reply configured' };
    const reply = typeof responder === 'function' ? responder(hit, nth) : responder;
    if (reply === 'hang') return; // never answer; stop() closes the socket
    const text = reply.text ?? JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json;charset=utf-8' });
    res.end(text);
  }
}

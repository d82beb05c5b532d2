/** The sandbox's HTTP plumbing: bounded body reads (1 MiB), form parsing as Alipay reads forms, plain answers. */
import type http from 'node:http';

export { readBody } from '../http-body';

/** First value of each key. */
export function formToRecord(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) if (!(k in out)) out[k] = v;
  return out;
}

export function send(res: http.ServerResponse, status: number, body: string, type = 'text/html;charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The HTTP seam of the Bluecard client, injectable like stripe-node's HTTP client: production uses the
 * global fetch, tests pass their own (or wrap this one to watch the calls).
 */

export interface TransportRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  /** Aborted by the client when its timeout fires. */
  signal: AbortSignal;
}

export interface TransportResponse {
  status: number;
  text: string;
}

export type Transport = (url: string, init: TransportRequest) => Promise<TransportResponse>;

/**
 * POST with the global fetch. Redirects are NOT followed: a 3xx comes back as an 'http' error rather than
 * carrying the `sign` header to wherever the redirect points.
 */
export const fetchTransport: Transport = async (url, init) => {
  const res = await fetch(url, {
    method: init.method,
    headers: init.headers,
    body: init.body,
    signal: init.signal,
    redirect: 'manual',
  });
  return { status: res.status, text: await res.text() };
};

/** Wait `ms`; resolves early (does not reject) when `signal` aborts: callers check `signal.aborted`. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Answers the H5 page asked for before the app's scripts ran: src/index.html, opened at a lane link, asks
 * for the lane's park at once, so the answer is there when the lane page wants it. The request wrapper
 * takes such an answer once, in place of sending the same GET again, and reads it like any other (status,
 * the error body, the contract's schema). A prefetch that failed (no answer, not JSON) counts as none: the
 * wrapper then sends the request itself. Mini-program builds have no such page: always none there.
 */
export interface PrefetchedAnswer {
  status: number;
  data: unknown;
}

declare global {
  interface Window {
    /** Set by src/index.html: same-origin GET URL → its answer (undefined when the fetch failed). */
    __parkpayPrefetch?: Record<string, Promise<PrefetchedAnswer | undefined> | undefined>;
  }
}

/** The early answer for a same-origin GET URL (as prepareRequest builds it), once; undefined when none. */
export async function takePrefetched(url: string): Promise<PrefetchedAnswer | undefined> {
  // process.env.TARO_ENV is replaced at build time: mini-program builds keep none of this.
  if (process.env.TARO_ENV !== 'h5' || typeof window === 'undefined') return undefined;
  const answers = window.__parkpayPrefetch;
  const pending = answers?.[url];
  if (!answers || !pending) return undefined;
  delete answers[url];
  try {
    const a = await pending;
    return a && typeof a.status === 'number' ? a : undefined;
  } catch {
    return undefined;
  }
}

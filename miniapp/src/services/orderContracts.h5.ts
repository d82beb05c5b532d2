/**
 * H5: the order contracts in a chunk of their own, loaded after the first screen (see orderContracts.ts).
 * A chunk that cannot be loaded is a network error, like a request that got no answer; the next call
 * tries again.
 */
import { ApiError } from './api';

export type OrderEndpoints = typeof import('@shared/api/orders').orderEndpoints;

let loading: Promise<OrderEndpoints> | undefined;

export function loadOrderEndpoints(): Promise<OrderEndpoints> {
  loading ??= import('@shared/api/orders').then(
    (m) => m.orderEndpoints,
    (e: unknown) => {
      loading = undefined;
      throw new ApiError('network', `网络连接失败，请检查网络后重试（${e instanceof Error ? e.message : String(e)}）`);
    },
  );
  return loading;
}

/** Load them once the browser is idle (after the first screen is drawn), so a tap finds them ready. */
export function preloadOrderEndpoints(): void {
  const later = (run: () => void) => (typeof requestIdleCallback === 'function' ? requestIdleCallback(run, { timeout: 2000 }) : setTimeout(run, 300));
  later(() => void loadOrderEndpoints().catch(() => undefined));
}

/**
 * The order contracts (shared/api/orders) for a page that needs them only once the driver acts — the lane
 * page's unlicensed entry. Building their zod schemas is the biggest single piece of work on the way to
 * the first screen after a scan, so the H5 build loads them apart, after that screen (orderContracts.h5.ts,
 * Taro's per-platform files). Mini-programs have them in the main package already: at hand here.
 */
import { orderEndpoints } from '@shared/api/orders';

export type OrderEndpoints = typeof orderEndpoints;

export function loadOrderEndpoints(): Promise<OrderEndpoints> {
  return Promise.resolve(orderEndpoints);
}

/** Start loading them when the page has nothing better to do (H5); nothing to do here. */
export function preloadOrderEndpoints(): void {}

/**
 * The one shape every feature of ParkPay is assembled in. Each feature's factory (`create…Module(deps)`,
 * in this folder) builds its repositories, services and adapters from its dependencies and answers with
 * what the server mounts and runs; the server, the test worlds and the benchmarks all build through these
 * factories, so what they run cannot drift from production.
 *
 * Features react to each other through typed event buses (core/events.ts) they are handed, never through
 * each other's services. The order service is the one exception the code forces: a booking, a pass or a
 * lane QR is paid through the order service and delivered by its own feature, so the orders module is made
 * first and the features made after it plug their delivery (and coupons their stay coupons) into it.
 */
import type Router from '@koa/router';
import type { BluecardPortDeps } from '../port/bluecard/router';
import type { ModuleJobs } from '../port/jobs/registry';

export type LanePayHandlers = NonNullable<BluecardPortDeps['lanePay']>;

export interface FeatureModule {
  /** Routes of their own on the app: the providers' notifications. */
  routers?: Router[];
  /** The drivers' and operators' routes, on the app's API router (its sessions, park access and audit). */
  mountApi?(api: Router): void;
  /** The lot's calls (Bluecard lanePay interfaces) this feature answers. */
  lanePay?: LanePayHandlers;
  /** Its background work, started and stopped by the process's one job registry. */
  jobs?: ModuleJobs;
  /** After the jobs start, before the process serves (resume what a stopped process left, warm caches). */
  start?(): Promise<void>;
  /** On stop, after the jobs stopped, before the database closes. */
  close?(): Promise<void>;
}

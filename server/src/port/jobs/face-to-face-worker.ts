/**
 * Background work on booth face-to-face payments (4.24–4.26): cancels that could not finish when Bluecard
 * asked (retried with backoff until done), payments past their deadline that nobody polled or cancelled
 * (reversed / cancelled: unpaid ones closed, paid ones given back), and payments Bluecard was never told
 * of. What is due is found in the work collection (core/work.ts). Claims carry leases in the database, so
 * several processes share the work and never cancel twice at the same moment; a crashed process's lease
 * runs out.
 */
import type { FaceToFaceService } from '../../core/lanepay/face-to-face';
import type { WorkHandler } from '../../core/work';
import type { Logger } from '../../logger';
import { PollLoop } from './poll-loop';

export interface FaceToFaceWorkerOptions {
  /** How often due work is looked for (default 1 s). */
  pollMs?: number;
  logger: Logger;
}

export class FaceToFaceWorker implements WorkHandler {
  readonly kind = 'face' as const;
  private readonly loop: PollLoop;
  private readonly running = new Set<Promise<unknown>>();
  private stopped = true;
  private sweeping = false;

  constructor(
    private readonly face: FaceToFaceService,
    private readonly opts: FaceToFaceWorkerOptions,
  ) {
    this.loop = new PollLoop(() => this.track(this.sweep()), opts.pollMs ?? 1_000);
  }

  start(): void {
    this.stopped = false;
    this.loop.start();
  }

  /** A cancel is pending: try it now (it runs only when due). */
  kick(id: string): void {
    if (!this.stopped) void this.track(this.face.runCancel(id).catch((e) => this.fail(e)));
  }

  /** One look at a payment whose work item is due (the job registry's step). */
  async process(id: string): Promise<Date | undefined> {
    return (await this.track(this.face.process(id))).next;
  }

  /** One pass (also what tests call). */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      return await this.face.sweep();
    } catch (e) {
      this.fail(e);
      return 0;
    } finally {
      this.sweeping = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p)).catch(() => undefined);
    return p;
  }

  private fail(e: unknown): undefined {
    this.opts.logger.error({ err: e }, 'face-to-face job step failed');
    return undefined;
  }
}

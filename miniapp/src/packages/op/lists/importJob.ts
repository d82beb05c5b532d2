/**
 * Following a list import (or resend) the server runs in the background at the lot's pace (≤50 plates a
 * call, ≥5 s apart: 4.6): poll the job until it is done or failed, reporting progress on the way; a poll
 * that fails (network) is tried again, a job the server no longer knows ends the following.
 */
import type { ListJobView } from '@shared/api/op-lists';
import { ApiError } from '../../../services/api';

export interface JobProgress {
  /** Rows dealt with (synced, refused, failed, invalid, duplicate). */
  done: number;
  total: number;
  /** 0–100. */
  percent: number;
  etaSeconds: number;
}

export function progressOf(job: Pick<ListJobView, 'progress'>): JobProgress {
  const p = job.progress;
  const done = Math.max(0, p.total - p.queued);
  return { done, total: p.total, percent: p.total ? Math.round((done / p.total) * 100) : 100, etaSeconds: p.etaSeconds };
}

export const finished = (job: Pick<ListJobView, 'status'>) => job.status === 'done' || job.status === 'failed';

export interface FollowDeps {
  getJob(jobId: string, rows: 'problems' | 'none'): Promise<ListJobView>;
  sleep(ms: number): Promise<void>;
  /** Between polls (default 1.5 s). */
  pollMs?: number;
  /** Stop following (the page closed). */
  stopped?: () => boolean;
}

/** Poll until the job finishes; the finished job comes back with its problem rows. */
export async function followJob(first: ListJobView, deps: FollowDeps, onJob: (j: ListJobView) => void): Promise<ListJobView | undefined> {
  let job = first;
  onJob(job);
  while (!finished(job)) {
    await deps.sleep(deps.pollMs ?? 1500);
    if (deps.stopped?.()) return undefined;
    try {
      job = await deps.getJob(job.id, 'none');
      onJob(job);
    } catch (e) {
      if (e instanceof ApiError && e.status !== undefined && e.status < 500 && e.code !== 'network') throw e;
      // network or server trouble: keep following
    }
  }
  const full = await deps.getJob(job.id, 'problems');
  onJob(full);
  return full;
}

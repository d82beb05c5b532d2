/**
 * The changes the list service's job runner makes to an import job, each checked against IMPORT_JOB_MOVES
 * when built and made only by the holder of the job's lease, which each one extends.
 */
import { change } from '../state';
import { IMPORT_JOB_MOVES, type ImportJobChange, type ImportJobPatch, type ImportJobStatus } from './model';

const move = (c: ImportJobChange): ImportJobChange => change('import job', IMPORT_JOB_MOVES, c);

type Lease = { owner: string; until: Date };
const held = (lease: Lease, now: Date) => ({ updatedAt: now, leaseUntil: lease.until });

/** The first chunk is about to go. */
export const started = (lease: Lease, now: Date): ImportJobChange =>
  move({ from: ['queued'], to: 'running', set: { startedAt: now, ...held(lease, now) }, when: { leaseOwner: lease.owner } });

/** A chunk went: its rows' outcomes, and how far the job is. */
export const progressed = (lease: Lease, progress: ImportJobPatch, now: Date): ImportJobChange =>
  move({ from: ['running'], set: { ...progress, ...held(lease, now) }, when: { leaseOwner: lease.owner } });

export const done = (lease: Lease, now: Date): ImportJobChange =>
  move({ from: ['running'], to: 'done', set: { finishedAt: now, ...held(lease, now) }, when: { leaseOwner: lease.owner } });

/** Stopped (from the state it was in), why, and what it recorded last. */
export const failed = (lease: Lease, from: ImportJobStatus, error: string, now: Date, last: ImportJobPatch = {}): ImportJobChange =>
  move({ from: [from], to: 'failed', set: { ...last, error, finishedAt: now, ...held(lease, now) }, when: { leaseOwner: lease.owner } });

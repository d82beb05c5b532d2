/** An import job's table of states and moves, and the changes the job runner builds from it. */
import * as changes from '../../../../server/src/core/lists/changes';
import { IMPORT_JOB_MOVES, IMPORT_JOB_STATES } from '../../../../server/src/core/lists/model';
import { finalStates } from '../../../../server/src/core/state';

const now = new Date('2026-11-29T10:00:00Z');
const lease = { owner: 'w1', until: now };

describe('import job moves', () => {
  it('names every state, and ends done or failed (never resumed: a job is claimed only queued or running)', () => {
    expect(Object.keys(IMPORT_JOB_MOVES).sort()).toEqual([...IMPORT_JOB_STATES].sort());
    expect(finalStates(IMPORT_JOB_MOVES).sort()).toEqual(['done', 'failed']);
  });

  it('allows every move the runner makes, each by the lease holder, extending the lease', () => {
    const made = [
      changes.started(lease, now),
      changes.progressed(lease, { rows: [{ row: 0, status: 'synced' }], next: 1, chunksDone: 1 }, now),
      changes.done(lease, now),
      changes.failed(lease, 'queued', 'the park is gone', now),
      changes.failed(lease, 'running', 'the lot does not answer', now),
    ];
    expect(made.map((c) => `${c.from.join('|')}→${c.to ?? '(same)'}`)).toEqual(['queued→running', 'running→(same)', 'running→done', 'queued→failed', 'running→failed']);
    for (const c of made) {
      expect(c.when).toEqual({ leaseOwner: 'w1' });
      expect(c.set.leaseUntil).toEqual(now);
    }
  });
});

/**
 * Our labels of the lot's lanes on the real engine (repository/lane-labels.ts): one document per park and
 * lane, written by one upsert; a field left out of a patch stays, null removes it; two operators labelling a
 * new lane at once both land on the one document.
 */
import { MongoLaneLabelRepository } from '../../../server/src/repository/lane-labels';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repo: MongoLaneLabelRepository;
beforeAll(async () => {
  db = await openTestDatabase('lanelabels');
  repo = new MongoLaneLabelRepository(db.connection);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const by = (s: number, username = 'alice') => ({ at: new Date(T + s * 1000), username });
let n = 0;
const park = () => `PL${++n}`;

describe('lane labels', () => {
  it('the first label of a lane creates it; get and list read it back', async () => {
    const P = park();
    const l = await repo.set(P, '1', { name: '东门入口', direction: 'in' }, by(0));
    expect(l).toEqual({ parkNumber: P, passagewayId: '1', name: '东门入口', direction: 'in', updatedAt: by(0).at, updatedBy: 'alice' });
    expect(await repo.get(P, '1')).toEqual(l);
    expect(await repo.list(P)).toEqual([l]);
  });

  it('a field left out stays, null removes it, a value replaces it; who and when are the last writer’s', async () => {
    const P = park();
    await repo.set(P, '1', { name: 'A', direction: 'in', note: 'n' }, by(0));
    const l = await repo.set(P, '1', { name: 'B', note: null }, by(60, 'bob'));
    expect(l).toEqual({ parkNumber: P, passagewayId: '1', name: 'B', direction: 'in', updatedAt: by(60).at, updatedBy: 'bob' });
    expect(await repo.get(P, '1')).toEqual(l);
    // Removed, not stored as null.
    expect(await db.connection.collection('lanelabels').findOne({ parkNumber: P })).not.toHaveProperty('note');
  });

  it('an empty patch only records who looked last and creates no label fields', async () => {
    const P = park();
    const l = await repo.set(P, '9', {}, by(0));
    expect(l).toEqual({ parkNumber: P, passagewayId: '9', updatedAt: by(0).at, updatedBy: 'alice' });
  });

  it('lanes of one park and of another stay apart', async () => {
    const P = park();
    await repo.set(P, '1', { name: 'one' }, by(0));
    await repo.set(P, '2', { name: 'two' }, by(0));
    await repo.set(`${P}1`, '', { name: 'other park' }, by(0));
    expect((await repo.list(P)).map((l) => [l.passagewayId, l.name]).sort()).toEqual([
      ['1', 'one'],
      ['2', 'two'],
    ]);
    expect(await repo.get(P, '3')).toBeUndefined();
    expect((await repo.get(`${P}1`, ''))!.name).toBe('other park');
  });

  it('two operators labelling a new lane at once: one document, holding both their fields', async () => {
    for (let i = 0; i < 5; i++) {
      const P = park();
      const r = await Promise.all([repo.set(P, '1', { name: 'A' }, by(0, 'alice')), repo.set(P, '1', { note: 'N' }, by(1, 'bob'))]);
      expect(r).toHaveLength(2);
      const all = await repo.list(P);
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ name: 'A', note: 'N' });
    }
  });
});

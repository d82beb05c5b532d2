/**
 * The repositories' shared helpers on the real engine (repository/util.ts): an insert as a claim (racing
 * inserters: exactly one owns the record), a raw record from outside always storable, and bulk updates of
 * any size answered (sent in commands FerretDB answers).
 */
import { Schema, type Model } from 'mongoose';
import { bulkUpdate, createUnlessExists, isDuplicateKey, storable, UPDATES_PER_COMMAND } from '../../../server/src/repository/util';
import { openTestDatabase, type TestDatabase } from '../../support/db';

interface Doc {
  _id: string;
  owner?: string;
  n?: number;
  raw?: unknown;
}

let db: TestDatabase;
let m: Model<Doc>;
beforeAll(async () => {
  db = await openTestDatabase('repo_util');
  m = db.connection.model<Doc>('UtilDoc', new Schema<Doc>({ _id: String, owner: String, n: Number, raw: Schema.Types.Mixed }, { versionKey: false }));
  await m.init();
});
afterAll(async () => {
  await db.dispose();
});

describe('createUnlessExists', () => {
  it('the first insert owns the record; a second with its _id is told no and changes nothing', async () => {
    expect(await createUnlessExists(m, { _id: 'a', owner: 'first' })).toBe(true);
    expect(await createUnlessExists(m, { _id: 'a', owner: 'second' })).toBe(false);
    expect((await m.findById('a').lean<Doc>())!.owner).toBe('first');
  });

  it('two racing inserts of one record: exactly one owns it, and the stored record is the winner’s', async () => {
    for (let i = 0; i < 5; i++) {
      const id = `race${i}`;
      const [x, y] = await Promise.all([createUnlessExists(m, { _id: id, owner: 'x' }), createUnlessExists(m, { _id: id, owner: 'y' })]);
      expect([x, y].filter(Boolean)).toHaveLength(1);
      expect((await m.findById(id).lean<Doc>())!.owner).toBe(x ? 'x' : 'y');
    }
  });

  it('a failure other than a duplicate is thrown, not taken for a lost race', async () => {
    const broken = { create: () => Promise.reject(Object.assign(new Error('down'), { code: 91 })) };
    await expect(createUnlessExists(broken, { _id: 'b' })).rejects.toThrow('down');
    expect(isDuplicateKey({ code: 11000 })).toBe(true);
    expect(isDuplicateKey({ code: '11000' })).toBe(false);
    expect(isDuplicateKey(null)).toBe(false);
  });
});

describe('storable', () => {
  it('keys with dots, a leading $ or NUL are escaped at every depth; dates and buffers stay as they are', () => {
    const at = new Date(Date.UTC(2026, 11, 5));
    const buf = Buffer.from('x');
    expect(storable({ 'a.b': 1, $set: { 'c\0d': [{ $x: at }] }, e$: buf, list: [1, 'two'] })).toEqual({ 'a．b': 1, '＄set': { cd: [{ '＄x': at }] }, e$: buf, list: [1, 'two'] });
  });

  it('a record with such keys is stored and read back escaped', async () => {
    const raw = { 'plate.no': '京A1', $where: 'x', nested: { 'a.b': { $gt: 1 } } };
    await m.create({ _id: 'raw', raw: storable(raw) });
    expect((await m.findById('raw').lean<Doc>())!.raw).toEqual({ 'plate．no': '京A1', '＄where': 'x', nested: { 'a．b': { '＄gt': 1 } } });
  });
});

describe('bulkUpdate', () => {
  it('more updates of existing documents than one command takes are all applied', async () => {
    const count = UPDATES_PER_COMMAND * 2 + 30;
    await m.insertMany(Array.from({ length: count }, (_, i) => ({ _id: `bulk${i}`, n: 0 })));
    await bulkUpdate(
      m,
      Array.from({ length: count }, (_, i) => ({ updateOne: { filter: { _id: `bulk${i}` }, update: { $inc: { n: i } }, upsert: true } })),
    );
    const docs = await m.find({ _id: { $regex: /^bulk/ } }).lean<Doc[]>();
    expect(docs).toHaveLength(count);
    expect(docs.reduce((s, d) => s + d.n!, 0)).toBe((count * (count - 1)) / 2);
  });

  it('no updates: no command', async () => {
    let calls = 0;
    await bulkUpdate({ bulkWrite: async () => void calls++ }, []);
    expect(calls).toBe(0);
  });
});

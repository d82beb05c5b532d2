/**
 * A typed patch as one MongoDB update (repository/patch.ts): what it writes, and what that write does to a
 * stored document on the real engine — fields set whole, `clear` removed, named sub-documents written path
 * by path so the rest of them stays, renamed paths written under their stored name.
 */
import { toUpdate } from '../../../server/src/repository/patch';
import { openTestDatabase, type TestDatabase } from '../../support/db';

describe('toUpdate', () => {
  it('fields are set whole; an array, a date or an object not named nested is one value', () => {
    const d = new Date(Date.UTC(2026, 11, 5));
    expect(toUpdate({ state: 'paid', list: [1, 2], at: d, cancel: { a: 1 } })).toEqual({ $set: { state: 'paid', list: [1, 2], at: d, cancel: { a: 1 } } });
  });

  it('a field given as undefined is left out; null is written', () => {
    expect(toUpdate({ a: undefined, b: null, c: 0, d: '' })).toEqual({ $set: { b: null, c: 0, d: '' } });
  });

  it('`clear` removes the fields it names', () => {
    expect(toUpdate({ a: 1, clear: ['b', 'c'] })).toEqual({ $set: { a: 1 }, $unset: { b: '', c: '' } });
    expect(toUpdate({ clear: ['b'] })).toEqual({ $unset: { b: '' } });
  });

  it('an empty patch, or one of undefined fields and nothing cleared, writes nothing', () => {
    expect(toUpdate({})).toEqual({});
    expect(toUpdate({ a: undefined, clear: [] })).toEqual({});
  });

  it('a sub-document named nested is written path by path, its own `clear` under its path', () => {
    expect(toUpdate({ status: 'x', cancel: { state: 'sent', tries: 2, lease: undefined, clear: ['error'] } }, ['cancel'])).toEqual({
      $set: { status: 'x', 'cancel.state': 'sent', 'cancel.tries': 2 },
      $unset: { 'cancel.error': '' },
    });
  });

  it('a nested sub-document given as null is written whole as null', () => {
    expect(toUpdate({ cancel: null }, ['cancel'])).toEqual({ $set: { cancel: null } });
  });

  it('nesting goes as deep as the names say', () => {
    expect(toUpdate({ a: { b: { c: 1 }, d: { e: 2 } } }, ['a', 'a.b'])).toEqual({ $set: { 'a.b.c': 1, 'a.d': { e: 2 } } });
  });

  it('a renamed path is written under its stored name, in $set and in $unset', () => {
    expect(toUpdate({ holds: { offer: 3, area: 1 } }, ['holds'], { 'holds.offer': 'holdsOffer' })).toEqual({ $set: { holdsOffer: 3, 'holds.area': 1 } });
    expect(toUpdate({ holds: { clear: ['offer'] } }, ['holds'], { 'holds.offer': 'holdsOffer' })).toEqual({ $unset: { holdsOffer: '' } });
  });
});

type Doc = { _id: string } & Record<string, unknown>;
const collectionOf = (db: TestDatabase) => db.connection.collection<Doc>('patched');

describe('toUpdate on the real engine', () => {
  let db: TestDatabase;
  let docs: ReturnType<typeof collectionOf>;
  beforeAll(async () => {
    db = await openTestDatabase('patch');
    docs = collectionOf(db);
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('the rest of a nested sub-document stays; cleared fields go; renamed ones land under their stored name', async () => {
    await docs.insertOne({ _id: 'a', state: 'open', note: 'n', keep: 1, cancel: { state: 'none', tries: 0, error: 'e', by: 'op' } });
    const update = toUpdate({ state: 'cancelling', clear: ['note'], cancel: { state: 'sent', tries: 1, clear: ['error'] }, holds: { offer: 2 } }, ['cancel', 'holds'], {
      'holds.offer': 'holdsOffer',
    });
    await docs.updateOne({ _id: 'a' }, update);
    expect(await docs.findOne({ _id: 'a' })).toEqual({ _id: 'a', state: 'cancelling', keep: 1, cancel: { state: 'sent', tries: 1, by: 'op' }, holdsOffer: 2 });
  });

  it('a sub-document not named nested is replaced whole', async () => {
    await docs.insertOne({ _id: 'b', cancel: { state: 'none', by: 'op' } });
    await docs.updateOne({ _id: 'b' }, toUpdate({ cancel: { state: 'sent' } }));
    expect(await docs.findOne({ _id: 'b' })).toEqual({ _id: 'b', cancel: { state: 'sent' } });
  });

  it('a nested path into a document that has none creates the sub-document', async () => {
    await docs.insertOne({ _id: 'c', state: 'open' });
    await docs.updateOne({ _id: 'c' }, toUpdate({ cancel: { state: 'sent' } }, ['cancel']));
    expect(await docs.findOne({ _id: 'c' })).toEqual({ _id: 'c', state: 'open', cancel: { state: 'sent' } });
  });
});

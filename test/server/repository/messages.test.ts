/**
 * Driver messages on the real engine (repository/messages.ts): an event's message is inserted once, a send
 * is claimed by one worker under a lease, and a consent is taken by one atomic update so two sends never
 * spend one consent.
 */
import type { MessageRecord } from '../../../server/src/core/messages/model';
import { MongoMessageStores } from '../../../server/src/repository/messages';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let stores: MongoMessageStores;
beforeAll(async () => {
  db = await openTestDatabase('messages');
  stores = new MongoMessageStores(db.connection);
  await stores.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
let n = 0;
function message(over: Partial<MessageRecord> = {}): MessageRecord {
  const i = ++n;
  return { id: `evt${i}|d1`, driverId: 'd1', kind: 'payment', values: {}, status: 'pending', due: at(0), attempts: 0, createdAt: at(0), ...over } as MessageRecord;
}

describe('messages', () => {
  it('an event is told once: a repeated or racing insert of its message answers false and keeps the first', async () => {
    const m = message();
    const r = await Promise.all([stores.messages.insert(m), stores.messages.insert({ ...m, attempts: 9 })]);
    expect(r.filter(Boolean)).toHaveLength(1);
    expect(await stores.messages.insert(m)).toBe(false);
  });

  it('a send is claimed by one of two racing workers; the other cannot finish it', async () => {
    const m = message();
    await stores.messages.insert(m);
    const r = await Promise.all(['w1', 'w2'].map((w) => stores.messages.claim(m.id, w, at(1), 30_000)));
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    const owner = r.find((x) => x !== undefined)!.leaseOwner!;
    const loser = owner === 'w1' ? 'w2' : 'w1';
    expect(await stores.messages.finish(m.id, loser, { status: 'sent', sentAt: at(2) })).toBeUndefined();
    expect((await stores.messages.get(m.id))!.status).toBe('pending');
    expect((await stores.messages.finish(m.id, owner, { status: 'sent', sentAt: at(2), leaseOwner: null, leaseUntil: null }))!.status).toBe('sent');
  });

  it('a claim needs a pending, due message with no live lease: not before due, not while leased, never once sent', async () => {
    const m = message({ due: at(10) });
    await stores.messages.insert(m);
    expect(await stores.messages.claim(m.id, 'w1', at(9), 30_000)).toBeUndefined();
    expect(await stores.messages.claim(m.id, 'w1', at(10), 30_000)).toBeDefined();
    expect(await stores.messages.claim(m.id, 'w2', at(39), 30_000)).toBeUndefined(); // w1's lease runs to at(40)
    expect((await stores.messages.claim(m.id, 'w2', at(40), 30_000))!.leaseOwner).toBe('w2');
    expect(await stores.messages.finish(m.id, 'w1', { status: 'sent' })).toBeUndefined(); // w1 lost it with its lease
    await stores.messages.finish(m.id, 'w2', { status: 'sent', leaseOwner: null, leaseUntil: null });
    expect(await stores.messages.claim(m.id, 'w3', at(1000), 30_000)).toBeUndefined();
  });

  it('a send put back for a retry is claimed again only at its new due, once', async () => {
    const m = message();
    await stores.messages.insert(m);
    await stores.messages.claim(m.id, 'w1', at(0), 30_000);
    await stores.messages.finish(m.id, 'w1', { due: at(60), attempts: 1, lastError: 'busy', leaseOwner: null, leaseUntil: null });
    expect(await stores.messages.claim(m.id, 'w2', at(59), 30_000)).toBeUndefined();
    const r = await Promise.all(['w2', 'w3'].map((w) => stores.messages.claim(m.id, w, at(60), 30_000)));
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    expect(await stores.messages.finish(m.id, 'w1', { status: 'sent' })).toBeUndefined();
  });
});

describe('message consents', () => {
  it('racing sends take one consent each: with one left exactly one goes', async () => {
    await stores.consents.grant('d2', 'wechat', 'tpl1', 1, false, 'accept', at(0));
    const r = await Promise.all(Array.from({ length: 4 }, () => stores.consents.take('d2', 'wechat', 'tpl1', at(1))));
    expect(r.filter(Boolean)).toHaveLength(1);
    expect((await stores.consents.list('d2', 'wechat'))[0]!.remaining).toBe(0);
    expect(await stores.consents.take('d2', 'wechat', 'tpl1', at(2))).toBe(false);
  });

  it('a given-back consent can be taken again; a cleared one cannot, however many were left', async () => {
    await stores.consents.grant('d3', 'wechat', 'tpl1', 3, false, 'accept', at(0));
    expect(await stores.consents.take('d3', 'wechat', 'tpl1', at(1))).toBe(true);
    await stores.consents.giveBack('d3', 'wechat', 'tpl1', at(2));
    expect((await stores.consents.list('d3', 'wechat'))[0]!.remaining).toBe(3);
    await stores.consents.clear('d3', 'wechat', 'tpl1', at(3));
    expect(await stores.consents.take('d3', 'wechat', 'tpl1', at(4))).toBe(false);
  });

  it('a long-term consent is never used up and a give-back does not add to it', async () => {
    await stores.consents.grant('d4', 'alipay', 'tpl1', 0, true, 'accept', at(0));
    const r = await Promise.all(Array.from({ length: 3 }, () => stores.consents.take('d4', 'alipay', 'tpl1', at(1))));
    expect(r).toEqual([true, true, true]);
    await stores.consents.giveBack('d4', 'alipay', 'tpl1', at(2));
    expect((await stores.consents.list('d4', 'alipay'))[0]).toMatchObject({ remaining: 0, longTerm: true });
  });

  it('racing first grants of one template make one consent record holding both', async () => {
    await Promise.all([stores.consents.grant('d5', 'wechat', 'tpl1', 1, false, 'accept', at(0)), stores.consents.grant('d5', 'wechat', 'tpl1', 1, false, 'accept', at(0))]);
    const list = await stores.consents.list('d5', 'wechat');
    expect(list).toHaveLength(1);
    expect(list[0]!.remaining).toBe(2);
  });
});

/**
 * The park directory's cache (every Bluecard call looks its park up for the sign check): on the real
 * database, with the driver's own command monitoring counting the reads. Fresh parks are served from memory;
 * stale ones are served at once and refreshed in the background (one read, however many callers), up to a
 * bound; a write through the directory shows at once; an unknown park is always looked up.
 */
import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';
import type { Park } from '../../../server/src/core/parks';
import { MongoParkDirectory } from '../../../server/src/repository/parks';
import { testDatabaseUri } from '../../support/db';
import { waitUntil } from '../../support/eventually';

let conn: Connection;
/** `find` commands on the parks collection, as the driver sent them, and those answered (or failed). */
let finds = 0;
let findsAnswered = 0;
beforeAll(async () => {
  conn = await mongoose
    .createConnection(testDatabaseUri(), { dbName: `pp_parks_${randomBytes(4).toString('hex')}`, serverSelectionTimeoutMS: 10_000, bufferCommands: false, monitorCommands: true })
    .asPromise();
  conn.getClient().on('commandStarted', (e) => {
    if (e.commandName === 'find' && (e.command as { find?: string }).find === 'parks') finds++;
  });
  const answered = (e: { commandName: string }) => {
    if (e.commandName === 'find') findsAnswered++;
  };
  conn.getClient().on('commandSucceeded', answered);
  conn.getClient().on('commandFailed', answered);
});
afterAll(async () => {
  await conn.dropDatabase().catch(() => undefined);
  await conn.close();
});

let t = Date.UTC(2026, 10, 29, 2, 0, 0);
const SEC = 1000;
let n = 0;
/** A park in the database and a directory on it (ttl 5 s, stale up to 60 s, time moved by hand). */
async function setup(): Promise<{ park: Park; dir: MongoParkDirectory; errors: unknown[] }> {
  const park: Park = { parkNumber: `p_cache_${++n}`, key: 'key-1', bluecardBaseUrl: 'http://127.0.0.1:1', name: '缓存停车场' };
  const errors: unknown[] = [];
  const dir = new MongoParkDirectory(conn, 5_000, { maxStaleMs: 60_000, now: () => t, onRefreshError: (e) => errors.push(e) });
  await dir.init();
  await dir.upsert(park);
  return { park, dir, errors };
}
/** Another process changes the park (this directory hears nothing). */
const elsewhere = (parkNumber: string, set: Partial<Park>) => conn.collection('parks').updateOne({ parkNumber }, { $set: set });
const until = (what: () => Promise<boolean>) => waitUntil(what, 'the directory serves the change');
/** Every read sent so far has been answered, and what the directory does with the answer has run. */
async function readsDone(): Promise<void> {
  await waitUntil(() => findsAnswered >= finds, 'the reads under way are answered');
  await new Promise((r) => setImmediate(r));
}

describe('the park cache', () => {
  it('a fresh park is served from memory', async () => {
    const { park, dir } = await setup();
    const f0 = finds;
    expect((await dir.get(park.parkNumber))!.key).toBe('key-1');
    for (let i = 0; i < 20; i++) await dir.get(park.parkNumber);
    t += 4 * SEC;
    await dir.get(park.parkNumber);
    expect(finds - f0).toBe(1);
  });

  it('a stale park is served at once while one background read refreshes it', async () => {
    const { park, dir } = await setup();
    await dir.get(park.parkNumber);
    await elsewhere(park.parkNumber, { key: 'key-2' });
    t += 6 * SEC;
    const f0 = finds;
    // Many lane calls at once: all answered with what is cached (the database says key-2 already), one read.
    const got = await Promise.all(Array.from({ length: 10 }, () => dir.get(park.parkNumber)));
    expect(got.map((p) => p!.key)).toEqual(Array(10).fill('key-1'));
    await until(async () => (await dir.get(park.parkNumber))!.key === 'key-2');
    expect(finds - f0).toBe(1);
    // Fresh again: no read.
    await dir.get(park.parkNumber);
    expect(finds - f0).toBe(1);
  });

  it('staleness is bounded: older than maxStaleMs, the park is read before answering', async () => {
    const { park, dir } = await setup();
    await dir.get(park.parkNumber);
    await elsewhere(park.parkNumber, { key: 'key-3' });
    t += 61 * SEC;
    expect((await dir.get(park.parkNumber))!.key).toBe('key-3');
  });

  it('a write through the directory shows at once, also over a refresh that was under way', async () => {
    const { park, dir } = await setup();
    await dir.get(park.parkNumber);
    expect((await dir.update(park.parkNumber, { key: 'key-4' }))!.key).toBe('key-4');
    expect((await dir.get(park.parkNumber))!.key).toBe('key-4');
    // Stale: a refresh starts (another process wrote key-5), and this process writes key-6 meanwhile.
    await elsewhere(park.parkNumber, { key: 'key-5' });
    t += 6 * SEC;
    expect((await dir.get(park.parkNumber))!.key).toBe('key-4');
    await dir.update(park.parkNumber, { key: 'key-6' });
    expect((await dir.get(park.parkNumber))!.key).toBe('key-6');
    // The refresh that read key-5 lands after the write: it must not put key-5 back.
    await readsDone();
    expect((await dir.get(park.parkNumber))!.key).toBe('key-6');
    t += 4 * SEC;
    expect((await dir.get(park.parkNumber))!.key).toBe('key-6');
  });

  it('an unknown park is looked up, not served stale: a park registered elsewhere is found after ttlMs', async () => {
    const { dir } = await setup();
    const pn = `p_new_${n}`;
    const f0 = finds;
    expect(await dir.get(pn)).toBeUndefined();
    expect(await dir.get(pn)).toBeUndefined(); // within ttlMs: the miss is remembered
    expect(finds - f0).toBe(1);
    await conn.collection('parks').insertOne({ parkNumber: pn, key: 'key-new', bluecardBaseUrl: 'http://127.0.0.1:1', updatedAt: new Date() });
    t += 6 * SEC;
    expect((await dir.get(pn))!.key).toBe('key-new');
    // Registered through the directory: found at once.
    const other: Park = { parkNumber: `p_new_b_${n}`, key: 'key-b', bluecardBaseUrl: 'http://127.0.0.1:1' };
    expect(await dir.get(other.parkNumber)).toBeUndefined();
    expect(await dir.insert(other)).toBe(true);
    expect((await dir.get(other.parkNumber))!.key).toBe('key-b');
  });

  it('a failed refresh keeps the cached park until maxStaleMs; then the failure is the caller’s', async () => {
    // A directory on a connection of its own, which then goes away.
    const own = await mongoose.createConnection(testDatabaseUri(), { dbName: conn.name, serverSelectionTimeoutMS: 2_000, bufferCommands: false }).asPromise();
    const errors: unknown[] = [];
    const dir = new MongoParkDirectory(own, 5_000, { maxStaleMs: 60_000, now: () => t, onRefreshError: (e) => errors.push(e) });
    const park: Park = { parkNumber: `p_cache_down_${++n}`, key: 'key-d', bluecardBaseUrl: 'http://127.0.0.1:1' };
    await dir.upsert(park);
    await dir.get(park.parkNumber);
    await own.close();
    t += 30 * SEC;
    expect((await dir.get(park.parkNumber))!.key).toBe('key-d');
    await until(async () => errors.length > 0);
    expect((await dir.get(park.parkNumber))!.key).toBe('key-d');
    t += 31 * SEC;
    await expect(dir.get(park.parkNumber)).rejects.toThrow();
  });
});

/**
 * The embedded engine as a process: it is our patched build, it survives its own death (restarted on the
 * same address, data kept), one engine per data folder, FerretDB itself is not on TCP, and a data folder
 * written by the stock build opens and uses its _id index.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import { PATCHED_VERSION, startFerretDb, type SupervisedFerretDb } from '../../../server/src/repository/engine/ferretdb';
import { EngineLockedError } from '../../../server/src/repository/engine';
import { Database } from '../../../server/src/repository/database';
import { REPO, ferretDbBinary, tcpListenPorts, waitFor } from '../../support/engine';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'parkpay-engine-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every engine a test starts, stopped after it whatever happened. */
const engines: SupervisedFerretDb[] = [];
const connections: Connection[] = [];
afterEach(async () => {
  await Promise.all(connections.splice(0).map((c) => c.close().catch(() => {})));
  await Promise.all(engines.splice(0).map((e) => e.stop()));
});

async function start(dir: string, opts: Parameters<typeof startFerretDb>[2] = {}): Promise<SupervisedFerretDb> {
  const engine = await startFerretDb(ferretDbBinary(), dir, opts);
  engines.push(engine);
  return engine;
}

async function connect(uri: string, dbName = 'parkpay'): Promise<Connection> {
  const c = await mongoose.createConnection(uri, { dbName, serverSelectionTimeoutMS: 10_000 }).asPromise();
  connections.push(c);
  return c;
}

/** SQLite's plan for a find, as FerretDB's explain gives it. */
async function plan(conn: Connection, collection: string, filter: object): Promise<string> {
  const r = await conn.db!.command({ explain: { find: collection, filter }, verbosity: 'queryPlanner' });
  return JSON.stringify(r.queryPlanner);
}

describe('the embedded FerretDB', () => {
  it('is the patched build and says so', async () => {
    const engine = await start(path.join(tmp, 'version'));
    expect(engine.version).toBe(PATCHED_VERSION);
    const info = await (await connect(engine.uri)).db!.admin().command({ buildInfo: 1 });
    expect(info.ferretdbVersion).toBe(PATCHED_VERSION);
  });

  it('is restarted on the same address when it dies, and the data is still there', async () => {
    const changes: boolean[] = [];
    const engine = await start(path.join(tmp, 'restart'), { backoffMs: [50] });
    engine.onStateChange((up) => changes.push(up));
    const db = await Database.open({ uri: `${engine.uri}restart`, dataDir: tmp, cacheDir: '', log: () => {} });
    try {
      await db.connection.collection('probe').insertOne({ _id: 'kept' as never, n: 1 });
      const uri = engine.uri;
      const pid = engine.pid!;
      process.kill(pid, 'SIGKILL');
      await waitFor(() => !engine.up, 'the engine to be seen down');
      expect(changes).toEqual([false]);
      expect(engine.pid).toBeUndefined();
      await waitFor(() => engine.up, 'the engine to be restarted');
      expect(changes).toEqual([false, true]);
      expect(engine.uri).toBe(uri);
      expect(engine.pid).not.toBe(pid);
      // The connection made before finds the engine again by itself.
      await waitFor(() => db.ping(), 'the old connection to answer again');
      expect(await db.connection.collection('probe').findOne({ _id: 'kept' as never })).toEqual({ _id: 'kept', n: 1 });
    } finally {
      await db.close();
    }
  });

  it('refuses a second engine on the same data folder, and says which process holds it', async () => {
    const dir = path.join(tmp, 'locked');
    const first = await start(dir);
    const second = startFerretDb(ferretDbBinary(), dir);
    await expect(second).rejects.toBeInstanceOf(EngineLockedError);
    await expect(second).rejects.toThrow(`The database folder ${dir} is in use by another ParkPay database engine (pid ${first.pid})`);
    // The first one is untouched.
    expect(await (await connect(first.uri)).db!.admin().command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('listens on TCP only through its write proxy: FerretDB itself is on a unix socket', async () => {
    const dir = path.join(tmp, 'sockets');
    const engine = await start(dir);
    const front = Number(new URL(engine.uri).port);
    expect(tcpListenPorts(engine.pid!)).toEqual([front]);
    expect(existsSync(path.join(dir, 'ferretdb.sock'))).toBe(true);
  });

  it('opens a data folder written by the stock v1.24.2 build, and finds by _id through its index', async () => {
    // test/fixtures/ferretdb-v1.24.2-stock: written by the unpatched build (database parkpay: 52 orders with
    // a unique {parkNumber, outTradeNo} index, one stay).
    const dir = path.join(tmp, 'old');
    cpSync(path.join(REPO, 'test/fixtures/ferretdb-v1.24.2-stock'), dir, { recursive: true });
    const conn = await connect((await start(dir)).uri);
    const orders = conn.db!.collection<{ _id: string }>('orders');
    expect(await orders.countDocuments()).toBe(52);
    expect(await orders.findOne({ _id: 'PP20260101000002' })).toMatchObject({ outTradeNo: 'T2', status: 'paid', amountFen: 1200 });
    expect(await plan(conn, 'orders', { _id: 'PP20260101000002' })).toMatch(/SEARCH \S+ USING INDEX \S+__id_ /);
    expect(await conn.db!.collection<{ _id: string }>('stays').findOne({ _id: JSON.stringify(['p_old', 'o-1']) })).toMatchObject({ plate: '京A12345' });
    // Its indexes still hold, and writes by _id land.
    await expect(orders.insertOne({ _id: 'PP20260101000001' })).rejects.toMatchObject({ code: 11000 });
    await expect(orders.insertOne({ _id: 'PPnew', parkNumber: 'p_old', outTradeNo: 'T1' } as never)).rejects.toMatchObject({ code: 11000 });
    expect(await orders.findOneAndUpdate({ _id: 'PP20260101000002', status: { $in: ['paid'] } }, { $set: { status: 'delivered' } }, { returnDocument: 'after' })).toMatchObject({ status: 'delivered' });
    expect(await orders.countDocuments({ status: 'delivered' })).toBe(2);
  });
});

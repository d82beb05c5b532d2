/**
 * The server on its embedded engine when the engine dies (kill -9): it notices at once (/readyz 503,
 * /healthz degraded), answers what needs the database with a quick 503 database_unavailable (Bluecard in
 * its envelope) instead of hanging on the driver, restarts the engine, and carries on with the data kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bluecardSign } from '../../server/src/adapter/bluecard/requests';
import { loadConfig } from '../../server/src/config';
import { createLogger } from '../../server/src/logger';
import type { SupervisedFerretDb } from '../../server/src/repository/engine/ferretdb';
import { startServer, type RunningServer } from '../../server/src/server';
import { CACHE_DIR, waitFor } from '../support/engine';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-outage-'));
const park = { parkNumber: 'p_outage', key: 'k-outage', bluecardBaseUrl: 'http://127.0.0.1:1' };
let running: RunningServer;

beforeAll(async () => {
  const config = loadConfig({ PORT: '0', PARKPAY_DATA_DIR: dataDir, PARKPAY_CACHE_DIR: CACHE_DIR, PARKPAY_PARKS: JSON.stringify([park]) }, undefined, { demoWithConfiguredKeys: true });
  running = await startServer(config, { logger: createLogger('silent'), demo: false });
});
afterAll(async () => {
  await running?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${running.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** One Bluecard heartbeat (4.1): it writes to the database. */
const heartbeat = () =>
  post('/bluecard/v2/heartbeat', { parkNumber: park.parkNumber, parkName: 'Outage', total: 10, free: 5, inTotal: 0, outTotal: 0 }, { sign: bluecardSign(park.key, park.parkNumber) });

it('notices the engine die, answers 503 at once meanwhile, and carries on when it is back', async () => {
  const engine = running.database.embedded as SupervisedFerretDb;
  expect(engine.name).toBe('FerretDB');
  const before = (await (await post('/api/auth/demo', { name: 'wang' })).json()) as { driver: { id: string } };
  expect(before.driver.id).toEqual(expect.any(String));
  expect(await (await heartbeat()).json()).toMatchObject({ status: 'success' });

  // Keep the engine down while we look: on seeing it down (before its first restart, 100 ms later), take
  // its port, so restarts fail until we let go. Connections to the stand-in are cut at once.
  const port = Number(new URL(engine.uri).port);
  let blocker: net.Server | undefined;
  engine.onStateChange((up) => {
    if (!up) blocker ??= net.createServer((s) => s.destroy()).listen(port, '127.0.0.1');
  });
  try {
    process.kill(engine.pid!, 'SIGKILL');
    await waitFor(() => blocker?.listening === true, 'the server to see the engine down');

    const ready = await fetch(`${running.url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'unavailable', database: 'down', engine: { name: 'FerretDB', embedded: true, up: false }, jobs: { running: true } });
    // Nothing read from a database that is down.
    expect(body).not.toHaveProperty('deliveryQueue');
    expect(await (await fetch(`${running.url}/healthz`)).json()).toEqual({ status: 'degraded', database: 'down' });

    // What needs the database is refused, and quickly (the driver alone would wait for the server).
    const started = Date.now();
    const refused = await post('/api/auth/demo', { name: 'wang' });
    const bluecard = await heartbeat();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ error: { code: 'database_unavailable', message: 'database unavailable' } });
    expect(bluecard.status).toBe(200);
    expect(await bluecard.json()).toEqual({ status: 'fail', errorCode: 'database_unavailable: database unavailable' });
    expect(engine.up).toBe(false);
  } finally {
    await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
  }

  await waitFor(async () => (await fetch(`${running.url}/readyz`)).status === 200, '/readyz to answer 200 again');
  expect(await (await fetch(`${running.url}/healthz`)).json()).toEqual({ status: 'ok' });
  const after = (await (await post('/api/auth/demo', { name: 'wang' })).json()) as { driver: { id: string } };
  expect(after.driver.id).toBe(before.driver.id); // the same driver: the data survived
  expect(await (await heartbeat()).json()).toMatchObject({ status: 'success' });
}, 60_000);

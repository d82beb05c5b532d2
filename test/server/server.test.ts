/**
 * startServer()/stop(): in-flight requests finish before the process lets go of the database.
 */
import http from 'node:http';
import net from 'node:net';
import { bluecardSign } from '../../server/src/adapter/bluecard/requests';
import { loadConfig } from '../../server/src/config';
import { createLogger } from '../../server/src/logger';
import { startServer } from '../../server/src/server';
import { testDatabaseUri } from '../support/db';

describe('graceful stop', () => {
  it('lets a request that is still uploading finish, then refuses new connections', async () => {
    const park = { parkNumber: 'p_graceful', key: 'k-graceful', bluecardBaseUrl: 'http://127.0.0.1:1' };
    const config = loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_graceful`,
      PARKPAY_PARKS: JSON.stringify([park]),
    }, undefined, { demoWithConfiguredKeys: true });
    const running = await startServer(config, { logger: createLogger('silent'), demo: false });
    const { port } = new URL(running.url);
    const body = JSON.stringify({
      parkNumber: park.parkNumber,
      imageName: 'slow.jpg',
      image: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(30_000, 9)]).toString('base64'),
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'POST', path: '/bluecard/v2/images', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), sign: bluecardSign(park.key, park.parkNumber) } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 1000));
      // Stop while the upload is half way, then finish it.
      setTimeout(() => {
        stopped = running.stop();
        setTimeout(() => req.end(body.slice(1000)), 200);
      }, 100);
    });
    let stopped: Promise<void> | undefined;
    const res = await answer;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).status).toBe('success');
    await stopped;
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });
});

describe('request timeouts fit for a payment server', () => {
  it('defaults: headers within 10 s, the whole request (headers and body) within 30 s', () => {
    const config = loadConfig({});
    expect(config.http.headersTimeoutMs).toBeLessThanOrEqual(10_000);
    expect(config.http.requestTimeoutMs).toBeLessThanOrEqual(30_000);
    expect(config.http.headersTimeoutMs).toBeLessThanOrEqual(config.http.requestTimeoutMs);
  });

  it('cuts a request whose body trickles in, and one whose headers never end, after the configured time', async () => {
    const config = loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_slowbody`,
      PARKPAY_PARKS: JSON.stringify([{ parkNumber: 'p_slow', key: 'k-slow', bluecardBaseUrl: 'http://127.0.0.1:1' }]),
      PARKPAY_HTTP: JSON.stringify({ headersTimeoutMs: 1_000, requestTimeoutMs: 1_500 }),
    }, undefined, { demoWithConfiguredKeys: true });
    const running = await startServer(config, { logger: createLogger('silent'), demo: false });
    const { port } = new URL(running.url);
    /** Open a connection, send `first`, keep sending a byte every 200 ms; resolve with how long until the server ends it and what it said. */
    const slow = (first: string) =>
      new Promise<{ ms: number; text: string }>((resolve) => {
        const started = Date.now();
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(first));
        let text = '';
        const drip = setInterval(() => socket.writable && socket.write('x'), 200);
        // Never longer than the test allows: a server that does not cut it shows as 20 s.
        const giveUp = setTimeout(() => socket.destroy(), 20_000);
        socket.on('data', (c) => (text += c));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(drip);
          clearTimeout(giveUp);
          resolve({ ms: Date.now() - started, text });
        });
      });
    try {
      const [body, headers] = await Promise.all([
        slow('POST /bluecard/v2/images HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"parkNumber":"p_slow","image":"'),
        slow('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '),
      ]);
      for (const r of [body, headers]) {
        // Cut within the timeout plus the server's 1 s check interval (and a busy machine's slack).
        expect(r.ms).toBeLessThan(8_000);
        expect(r.text).toMatch(/^HTTP\/1\.1 408|^$/);
      }
    } finally {
      await running.database.connection.dropDatabase().catch(() => undefined);
      await running.stop();
    }
  }, 40_000);
});

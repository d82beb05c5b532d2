/**
 * startServer()/stop(): in-flight requests finish before the process lets go of the database.
 */
import http from 'node:http';
import { bluecardSign } from '../../server/src/core/parks';
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
    });
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

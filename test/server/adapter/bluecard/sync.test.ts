/**
 * 4.6 pacing: ≤50 plates a synWhite and ≥5 s between a call and Bluecard's previous answer; the same for
 * synBlack (to be safe). A manual clock and a fake sleep that advances it make the waits instant and
 * assertable; the requests still go to the real local fake Bluecard.
 */
import {
  BluecardClient,
  BluecardError,
  type SyncProgress,
  type WhitelistEntryArgs,
  fetchTransport,
} from '../../../../server/src/adapter/bluecard';
import { ManualClock } from '../../../../server/src/core/clock';
import type { Park } from '../../../../server/src/core/parks';
import { EXAMPLES, FAIL_ANSWER } from './examples';
import { FakeBluecard } from './fake-bluecard';

const fake = new FakeBluecard({ p1: 'key-one-1111', p2: 'key-two-2222' }, EXAMPLES);
let park: Park;
let park2: Park;

interface Call {
  path: string;
  parkNumber: string;
  sentAt: number;
  answeredAt: number;
}

let clock: ManualClock;
let calls: Call[];
let waits: number[];
let client: BluecardClient;
/** Called by the fake sleep (e.g. to abort during a pacing wait). */
let onSleep: ((ms: number) => void) | undefined;
/** Simulated latency of each call, in clock ms. */
const LATENCY = 300;

beforeAll(async () => {
  await fake.start();
  park = { parkNumber: 'p1', key: 'key-one-1111', bluecardBaseUrl: fake.baseUrl };
  park2 = { parkNumber: 'p2', key: 'key-two-2222', bluecardBaseUrl: fake.baseUrl };
});
beforeEach(() => {
  clock = new ManualClock();
  calls = [];
  waits = [];
  onSleep = undefined;
  client = new BluecardClient({
    clock,
    sleep: async (ms) => {
      waits.push(ms);
      onSleep?.(ms);
      clock.advance(ms);
    },
    transport: async (url, init) => {
      const call: Call = {
        path: url.slice(url.lastIndexOf('/') + 1),
        parkNumber: (JSON.parse(init.body) as { parkNumber: string }).parkNumber,
        sentAt: clock.now(),
        answeredAt: NaN,
      };
      calls.push(call);
      try {
        return await fetchTransport(url, init);
      } finally {
        clock.advance(LATENCY);
        call.answeredAt = clock.now();
      }
    },
  });
});
afterEach(() => {
  expect(fake.problems()).toEqual([]);
  fake.reset();
});
afterAll(() => fake.stop());

const plates = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `京A${String(10000 + from + i)}`);
const entries = (ps: string[]): WhitelistEntryArgs[] => ps.map((plate) => ({ plate, start: '2026-01-01', end: '2026-12-31', carType: '月租' }));
const sentPlates = (path: string) => fake.hitsOf(path).map((h) => (h.body as { datas: { plate: string }[] }).datas.map((d) => d.plate));

/** Every call of `path` starts ≥5 s after the previous call's answer. */
function expectPaced(path: string): void {
  const own = calls.filter((c) => c.path === path);
  for (let i = 1; i < own.length; i++) expect(own[i].sentAt - own[i - 1].answeredAt).toBeGreaterThanOrEqual(5000);
}

describe('syncWhitelist', () => {
  it('120 plates → 3 calls of 50/50/20, ≥5 s after each answer, progress after each chunk', async () => {
    const all = plates(120);
    const progress: SyncProgress[] = [];
    const outcome = await client.syncWhitelist(park, entries(all), { onProgress: (p) => progress.push({ ...p }) });

    expect(sentPlates('synWhite')).toEqual([all.slice(0, 50), all.slice(50, 100), all.slice(100)]);
    expect(fake.hitsOf('synWhite').map((h) => (h.body as { size: number }).size)).toEqual([50, 50, 20]);
    expect(calls).toHaveLength(3);
    expectPaced('synWhite');
    expect(calls[1].sentAt - calls[0].answeredAt).toBe(5000);
    expect(waits).toEqual([5000, 5000]);
    expect(progress).toEqual([
      { sent: 50, total: 120, chunk: 1, chunks: 3 },
      { sent: 100, total: 120, chunk: 2, chunks: 3 },
      { sent: 120, total: 120, chunk: 3, chunks: 3 },
    ]);
    expect(outcome).toEqual({ sent: 120, total: 120, chunk: 3, chunks: 3, aborted: false, applied: all });
  });

  it('an empty list sends nothing', async () => {
    expect(await client.syncWhitelist(park, [])).toEqual({ sent: 0, total: 0, chunk: 0, chunks: 0, aborted: false, applied: [] });
    expect(calls).toHaveLength(0);
  });

  it('exactly 50 plates → one call, no wait', async () => {
    await client.syncWhitelist(park, entries(plates(50)));
    expect(calls).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('abort after the first chunk: stops, reports what was applied', async () => {
    const controller = new AbortController();
    const all = plates(120);
    const outcome = await client.syncWhitelist(park, entries(all), {
      signal: controller.signal,
      onProgress: (p) => p.chunk === 1 && controller.abort(),
    });
    expect(calls).toHaveLength(1);
    expect(outcome).toEqual({ sent: 50, total: 120, chunk: 1, chunks: 3, aborted: true, applied: all.slice(0, 50) });
  });

  it('abort during the 5 s pacing wait: the next chunk is not sent', async () => {
    const controller = new AbortController();
    onSleep = () => controller.abort();
    const outcome = await client.syncWhitelist(park, entries(plates(120)), { signal: controller.signal });
    expect(calls).toHaveLength(1);
    expect(outcome).toMatchObject({ sent: 50, chunk: 1, aborted: true });
  });

  it('an already aborted signal sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const outcome = await client.syncWhitelist(park, entries(plates(10)), { signal: controller.signal });
    expect(calls).toHaveLength(0);
    expect(outcome).toMatchObject({ sent: 0, aborted: true });
  });

  it('chunk 2 rejected: throws with 50 applied and the failed chunk’s plates; chunk 3 never sent', async () => {
    fake.reply('synWhite', (_hit, nth) => (nth === 2 ? FAIL_ANSWER('白名单数量超限') : EXAMPLES.synWhite));
    const all = plates(120);
    const progress: SyncProgress[] = [];
    let error: BluecardError | undefined;
    try {
      await client.syncWhitelist(park, entries(all), { onProgress: (p) => progress.push(p) });
    } catch (e) {
      error = e as BluecardError;
    }
    expect(error).toBeInstanceOf(BluecardError);
    expect(error).toMatchObject({ kind: 'rejected', errorCode: '白名单数量超限', retryable: false, iface: '4.6 synWhite', parkNumber: 'p1' });
    expect(error!.progress).toEqual({ sent: 50, total: 120, chunk: 1, chunks: 3, applied: all.slice(0, 50), failed: all.slice(50, 100) });
    expect(error!.message).toContain('chunk 2 of 3');
    expect(error!.message).toContain('50 of 120 entries applied');
    expect(progress).toHaveLength(1);
    expect(calls).toHaveLength(2);
  });

  it('chunk 2 failing with HTTP 500: retried twice, each retry also ≥5 s after the previous answer', async () => {
    fake.reply('synWhite', (_hit, nth) => (nth >= 2 ? { status: 500, text: 'down' } : EXAMPLES.synWhite));
    let error: BluecardError | undefined;
    try {
      await client.syncWhitelist(park, entries(plates(120)));
    } catch (e) {
      error = e as BluecardError;
    }
    expect(error).toMatchObject({ kind: 'http', httpStatus: 500, attempts: 3, retryable: true });
    expect(error!.progress).toMatchObject({ sent: 50, chunk: 1 });
    expect(calls).toHaveLength(4);
    expectPaced('synWhite');
  });

  it('a bad entry anywhere sends nothing at all', async () => {
    const list = entries(plates(120));
    list[110] = { ...list[110], end: 'someday' };
    let error: BluecardError | undefined;
    try {
      await client.syncWhitelist(park, list);
    } catch (e) {
      error = e as BluecardError;
    }
    expect(error).toMatchObject({ kind: 'invalid_request' });
    expect(calls).toHaveLength(0);
  });
});

describe('synWhite pacing across calls', () => {
  it('waits only what is left of the 5 s since the previous answer', async () => {
    await client.synWhite(park, entries(plates(1)));
    clock.advance(2000);
    await client.synWhite(park, entries(plates(1, 1)));
    expect(waits).toEqual([3000]);
    clock.advance(6000);
    await client.synWhite(park, entries(plates(1, 2)));
    expect(waits).toEqual([3000]);
    expectPaced('synWhite');
  });

  it('serializes concurrent calls for one park; other parks and other interfaces are not held up', async () => {
    await Promise.all([
      client.synWhite(park, entries(plates(1))),
      client.synWhite(park, entries(plates(1, 1))),
      client.synWhite(park2, entries(plates(1, 2))),
      client.delWhite(park, '京A10000'),
    ]);
    const p1 = calls.filter((c) => c.path === 'synWhite' && c.parkNumber === 'p1');
    expect(p1).toHaveLength(2);
    expect(p1[1].sentAt - p1[0].answeredAt).toBeGreaterThanOrEqual(5000);
    expect(waits).toEqual([5000]);
  });
});

describe('syncBlacklist', () => {
  it('120 plates → 3 calls of 50/50/20 with source 线上, paced like the whitelist', async () => {
    const all = plates(120);
    const progress: SyncProgress[] = [];
    const outcome = await client.syncBlacklist(
      park,
      all.map((plate) => ({ plate, memo: '逃费' })),
      { onProgress: (p) => progress.push(p) },
    );
    const hits = fake.hitsOf('synBlack');
    expect(hits.map((h) => (h.body as { size: number }).size)).toEqual([50, 50, 20]);
    expect(hits.every((h) => (h.body as { source: string }).source === '线上')).toBe(true);
    expect(sentPlates('synBlack').flat()).toEqual(all);
    expectPaced('synBlack');
    expect(waits).toEqual([5000, 5000]);
    expect(progress.map((p) => p.sent)).toEqual([50, 100, 120]);
    expect(outcome).toMatchObject({ sent: 120, aborted: false });
  });
});

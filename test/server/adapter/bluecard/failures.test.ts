/**
 * How the down client fails: timeout, connection refused, HTTP errors, non-JSON and off-schema answers,
 * status fail, invalid requests caught before the wire; which interfaces are retried (hits counted on a
 * real local server) and that neither the key nor the sign ever reaches a message or a log line.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_GIVE_UP_MS } from '../../../../shared/api/contract';
import { BluecardClient, BluecardError, type BluecardLogger, type SendPayResArgs } from '../../../../server/src/adapter/bluecard';
import { DOWN_CALLS, DRIVER_WAIT_BUDGET_MS } from '../../../../server/src/adapter/bluecard/calls';
import type { Park } from '../../../../server/src/core/parks';
import { createLogger } from '../../../../server/src/logger';
import { EXAMPLES, FAIL_ANSWER } from './examples';
import { FakeBluecard, md5 } from './fake-bluecard';

const KEY = 'Key-Of-Park-9c1e';
const PARK_NUMBER = 'p180329111018';
const SIGN = md5(KEY + PARK_NUMBER);
const fake = new FakeBluecard({ [PARK_NUMBER]: KEY }, EXAMPLES);
let park: Park;

/** Pino, as in production, writing into an array. */
function capturingLogger(): { logger: BluecardLogger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (s: string) => void lines.push(s) });
  return { logger, lines };
}

let sleeps: number[];
function client(options: ConstructorParameters<typeof BluecardClient>[0] = {}): BluecardClient {
  return new BluecardClient({ sleep: async (ms) => void sleeps.push(ms), ...options });
}

async function failure(p: Promise<unknown>): Promise<BluecardError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(BluecardError);
    return e as BluecardError;
  }
  throw new Error('expected a BluecardError, the call succeeded');
}

const PAY: SendPayResArgs = {
  orderId: '126',
  plate: '京 A12345',
  payChargeFen: 1200,
  realChargeFen: 1200,
  payTime: Date.UTC(2018, 2, 29, 9, 28, 2),
  payType: '微信',
  payChannel: '提前付',
  getTime: '2018-03-29 17:28:02',
  transactionID: 'pp-tx-1',
  outTradeNo: 'p180329111018_0_12_175104',
};

/** One call of each never-auto-retried interface. */
const NOT_RETRIED: [string, string, (c: BluecardClient) => Promise<unknown>][] = [
  ['4.5 sendPayRes', 'sendPayRes', (c) => c.sendPayRes(park, PAY)],
  ['4.22 RemoteLiftRod', 'RemoteLiftRod', (c) => c.remoteLiftRod(park, '1')],
  ['4.29 unlicensedCarIn', 'unlicensedCarIn', (c) => c.unlicensedCarIn(park, { codeKind: '1', authId: 'o1', passagewayId: '1' })],
  ['4.30 unlicensedCarOut', 'unlicensedCarOut', (c) => c.unlicensedCarOut(park, { codeKind: '1', authId: 'o1', passagewayId: '2' })],
  ['4.23 coupon', 'coupon', (c) => c.coupon(park, [{ kind: 'time', minutes: 60, couponCode: 'C1', orderId: '5', plate: '京 A1', end: Date.now() }])],
  [
    '4.18 synBookingCar',
    'synBookingCar',
    (c) =>
      c.synBookingCar(park, [
        {
          plate: '京 A1',
          action: 'book',
          start: '2026-01-01 10:00:00',
          end: '2026-01-01 12:00:00',
          chargeFen: 500,
          bookOrderId: 'B1',
          bookOrderTime: '2026-01-01 09:00:00',
          letInStartTime: '2026-01-01 10:00:00',
          letInEndTime: '2026-01-01 10:30:00',
        },
      ]),
  ],
];

/** Whether error.retryable should be true on a transient failure of each of those. */
const RETRYABLE_LATER: Record<string, boolean> = {
  sendPayRes: true, // the delivery job repeats it with the same transactionID
  RemoteLiftRod: false,
  unlicensedCarIn: false,
  unlicensedCarOut: true,
  coupon: false,
  synBookingCar: true,
};

beforeAll(async () => {
  await fake.start();
  park = { parkNumber: PARK_NUMBER, key: KEY, bluecardBaseUrl: fake.baseUrl };
});
beforeEach(() => {
  sleeps = [];
});
afterEach(() => {
  expect(fake.problems()).toEqual([]);
  fake.reset();
});
afterAll(() => fake.stop());

describe('timeout', () => {
  it('a query that never gets an answer times out, is retried twice after 200 and 600 ms, then throws timeout', async () => {
    fake.reply('getChargebf', 'hang');
    const started = Date.now();
    // A second for each held call: time for the request to reach the lot on a busy machine (after 100 ms the
    // client had given up before its third request was read: 2 hits).
    const e = await failure(client({ timeoutMs: 1_000 }).getChargebf(park, { orderId: '1', plate: '京 A1' }));
    expect(e).toMatchObject({ kind: 'timeout', iface: '4.4 getChargebf', parkNumber: PARK_NUMBER, retryable: true, attempts: 3 });
    expect(e.message).toBe('Bluecard 4.4 getChargebf for park p180329111018: no answer within 1000 ms');
    expect(fake.hitsOf('getChargebf')).toHaveLength(3);
    expect(sleeps).toEqual([200, 600]);
    // Three held calls given up after 1 s each, the backoff not slept for real: far below a held answer.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.each(NOT_RETRIED)('%s times out once, never retried', async (_label, path, call) => {
    fake.reply(path, 'hang');
    // A second: time for the request to reach the lot (counted below) before the client gives up.
    const e = await failure(call(client({ timeoutMs: 1_000 })));
    expect(e).toMatchObject({ kind: 'timeout', attempts: 1, retryable: RETRYABLE_LATER[path] });
    expect(fake.hitsOf(path)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('timeoutMs may be set per interface; the others keep the table’s', async () => {
    fake.reply('queryWhite', 'hang');
    const e = await failure(client({ timeoutMs: { queryWhite: 60 }, backoffMs: [] }).queryWhite(park, ['京 A1']));
    expect(e).toMatchObject({ kind: 'timeout', attempts: 1 });
    expect(e.message).toContain('within 60 ms');
  });

  it('times out even when an injected transport ignores the abort signal', async () => {
    const c = new BluecardClient({ transport: () => new Promise(() => undefined), timeoutMs: 50, backoffMs: [] });
    const e = await failure(c.getAllSpaceStatus(park));
    expect(e.kind).toBe('timeout');
  });
});

describe('a call a driver waits on: the whole call within its budget, before the app gives up', () => {
  it('4.4, 4.30 and 4.34 (fee, unlicensed exit fee, find a car) answer within 8 s, retries included — 7 s before the app gives up', () => {
    for (const name of ['getChargebf', 'unlicensedCarOut', 'getSpaceStatusByPlate'] as const) {
      expect(DOWN_CALLS[name].budgetMs).toBe(DRIVER_WAIT_BUDGET_MS);
    }
    expect(DRIVER_WAIT_BUDGET_MS).toBeLessThanOrEqual(APP_GIVE_UP_MS - 5_000);
  });

  it('a hanging lot: each attempt cut to what is left, no retry without 1 s left, then timeout', async () => {
    fake.reply('getChargebf', 'hang');
    const started = Date.now();
    const e = await failure(client({ timeoutMs: 1_000, budgetMs: { getChargebf: 3_000 } }).getChargebf(park, { orderId: '1', plate: '京 A1' }));
    // 1 s, (200 ms backoff), 1 s, then less than 600 ms + 1 s left: no third attempt.
    expect(e).toMatchObject({ kind: 'timeout', attempts: 2, retryable: true });
    expect(fake.hitsOf('getChargebf')).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(3_000 + 1_000);
  });

  it("an attempt's timeout is cut to the budget", async () => {
    fake.reply('getSpaceStatusByPlate', 'hang');
    const e = await failure(client({ budgetMs: { getSpaceStatusByPlate: 300 } }).getSpaceStatusByPlate(park, '京 A00001'));
    expect(e).toMatchObject({ kind: 'timeout', attempts: 1 });
    expect(e.message).toMatch(/within (29\d|300) ms/);
  });
});

describe('network', () => {
  let closedBase: string;
  beforeAll(async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    closedBase = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    await new Promise<void>((r) => s.close(() => r()));
  });

  it('connection refused → network, retried for a query', async () => {
    const e = await failure(client().queryWhite({ ...park, bluecardBaseUrl: closedBase }, ['京 A1']));
    expect(e).toMatchObject({ kind: 'network', retryable: true, attempts: 3 });
    expect(e.message).toContain('ECONNREFUSED');
    expect(sleeps).toEqual([200, 600]);
  });

  it('connection refused → network, NOT retried for sendPayRes (retryable for its delivery job)', async () => {
    const e = await failure(client().sendPayRes({ ...park, bluecardBaseUrl: closedBase }, PAY));
    expect(e).toMatchObject({ kind: 'network', retryable: true, attempts: 1 });
    expect(sleeps).toEqual([]);
  });

  it('connection refused → network, NOT retried and not retryable for RemoteLiftRod', async () => {
    const e = await failure(client().remoteLiftRod({ ...park, bluecardBaseUrl: closedBase }, '1'));
    expect(e).toMatchObject({ kind: 'network', retryable: false, attempts: 1 });
    expect(sleeps).toEqual([]);
  });
});

describe('HTTP errors', () => {
  it('HTTP 500 on a query: 3 hits, then http with the status', async () => {
    fake.reply('getChargebf', { status: 500, text: 'Internal Server Error' });
    const e = await failure(client().getChargebf(park, { orderId: '1', plate: '京 A1' }));
    expect(e).toMatchObject({ kind: 'http', httpStatus: 500, retryable: true, attempts: 3 });
    expect(e.message).toContain('HTTP 500: Internal Server Error');
    expect(fake.hitsOf('getChargebf')).toHaveLength(3);
  });

  it.each(NOT_RETRIED)('HTTP 500 on %s: exactly one hit', async (_label, path, call) => {
    fake.reply(path, { status: 500, text: 'boom' });
    const e = await failure(call(client()));
    expect(e).toMatchObject({ kind: 'http', httpStatus: 500, attempts: 1, retryable: RETRYABLE_LATER[path] });
    expect(fake.hitsOf(path)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('HTTP 503 then success: the query succeeds on its second attempt', async () => {
    fake.reply('queryBlack', (_hit, nth) => (nth === 1 ? { status: 503, text: '' } : EXAMPLES.queryBlack));
    expect(await client().queryBlack(park, ['京 A12345'])).toEqual([{ plate: '京 A12345', memo: '' }]);
    expect(fake.hitsOf('queryBlack')).toHaveLength(2);
    expect(sleeps).toEqual([200]);
  });

  it('HTTP 404 is not retried, not retryable', async () => {
    fake.reply('getAllSpaceStatus', { status: 404, text: 'Not Found' });
    const e = await failure(client().getAllSpaceStatus(park));
    expect(e).toMatchObject({ kind: 'http', httpStatus: 404, retryable: false, attempts: 1 });
    expect(fake.hitsOf('getAllSpaceStatus')).toHaveLength(1);
  });

  it('a non-2xx JSON body lends its errorCode to the error', async () => {
    fake.reply('delWhite', { status: 502, body: { status: 'fail', errorCode: '上游不可用' } });
    const e = await failure(client({ backoffMs: [] }).delWhite(park, '京 A1'));
    expect(e).toMatchObject({ kind: 'http', httpStatus: 502, errorCode: '上游不可用' });
  });

  it('a redirect is not followed (the sign goes nowhere else)', async () => {
    fake.reply('queryImgByName', { status: 302, text: '' });
    const e = await failure(client().queryImgByName(park, ['a.jpg']));
    expect(e).toMatchObject({ kind: 'http', httpStatus: 302, retryable: false });
    expect(fake.hits).toHaveLength(1);
  });

  it('the fake itself refuses a wrong sign (so the sign checks above bite)', async () => {
    const e = await failure(client().remoteLiftRod({ ...park, key: 'wrong-key' }, '1'));
    expect(e).toMatchObject({ kind: 'http', httpStatus: 400 });
    expect(fake.problems().join()).toContain('bad sign');
    fake.reset();
  });
});

describe('bad answers', () => {
  it('a 200 that is not JSON → bad_answer, not retried', async () => {
    fake.reply('getChargebf', { text: '<html>gateway</html>' });
    const e = await failure(client().getChargebf(park, { orderId: '1', plate: '京 A1' }));
    expect(e).toMatchObject({ kind: 'bad_answer', httpStatus: 200, retryable: false, attempts: 1 });
    expect(e.message).toContain('not JSON');
    expect(fake.hitsOf('getChargebf')).toHaveLength(1);
  });

  it('an empty 200 → bad_answer', async () => {
    fake.reply('synWhite', { text: '' });
    const e = await failure(client().synWhite(park, [{ plate: '京 A1', start: '2026-01-01', end: '2026-12-31' }]));
    expect(e.kind).toBe('bad_answer');
  });

  it('a success without the fields we must act on (4.4 outTradeNo) → bad_answer naming the field', async () => {
    fake.reply('getChargebf', { body: { status: 'success', datas: { payCharge: '1' } } });
    const e = await failure(client().getChargebf(park, { orderId: '1', plate: '京 A1' }));
    expect(e.kind).toBe('bad_answer');
    expect(e.message).toContain('outTradeNo');
  });

  it('an unknown status → bad_answer', async () => {
    fake.reply('delBlack', { body: { status: 'pending' } });
    const e = await failure(client().delBlack(park, '京 A1'));
    expect(e.kind).toBe('bad_answer');
  });
});

describe('status fail → rejected', () => {
  it('carries Bluecard’s errorCode and is never retried, even for a query', async () => {
    fake.reply('getChargebf', FAIL_ANSWER('未找到入场记录'));
    const e = await failure(client().getChargebf(park, { orderId: '404', plate: '京 A1' }));
    expect(e).toMatchObject({ kind: 'rejected', errorCode: '未找到入场记录', retryable: false, attempts: 1, httpStatus: 200 });
    expect(e.message).toBe('Bluecard 4.4 getChargebf for park p180329111018: rejected: 未找到入场记录');
    expect(fake.hitsOf('getChargebf')).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('reads " FAIL " with a null errorCode', async () => {
    fake.reply('sendPayRes', { body: { status: ' FAIL ', errorCode: null } });
    const e = await failure(client().sendPayRes(park, PAY));
    expect(e).toMatchObject({ kind: 'rejected', errorCode: '', retryable: false });
    expect(e.message).toContain('(no reason given)');
  });
});

describe('invalid requests never reach the wire', () => {
  const cases: [string, (c: BluecardClient) => Promise<unknown>, RegExp][] = [
    ['4.4 empty orderId', (c) => c.getChargebf(park, { orderId: '', plate: '京 A1' }), /orderId/],
    ['4.4 fractional couponHours', (c) => c.getChargebf(park, { orderId: '1', plate: '京 A1', couponHours: 1.5 }), /couponTime/],
    ['4.5 fractional fen', (c) => c.sendPayRes(park, { ...PAY, payChargeFen: 12.5 }), /fen must be a non-negative integer/],
    ['4.5 negative fen', (c) => c.sendPayRes(park, { ...PAY, realChargeFen: -1 }), /non-negative/],
    ['4.5 bad getTime', (c) => c.sendPayRes(park, { ...PAY, getTime: 'yesterday' }), /yyyy-MM-dd/],
    ['4.5 empty transactionID', (c) => c.sendPayRes(park, { ...PAY, transactionID: '' }), /transactionID/],
    [
      '4.6 51 entries',
      (c) => c.synWhite(park, Array.from({ length: 51 }, (_, i) => ({ plate: `京A${10000 + i}`, start: '2026-01-01', end: '2026-12-31' }))),
      /at most 50/,
    ],
    ['4.6 no entries', (c) => c.synWhite(park, []), /datas/],
    ['4.6 blank plate', (c) => c.synWhite(park, [{ plate: ' ', start: '2026-01-01', end: '2026-12-31' }]), /plate/],
    ['4.7 empty plate', (c) => c.delWhite(park, ''), /clearWhitelist/],
    ['4.9 51 entries', (c) => c.synBlack(park, Array.from({ length: 51 }, (_, i) => ({ plate: `京A${i}` }))), /at most 50/],
    ['4.10 blank plate', (c) => c.delBlack(park, '  '), /clearBlacklist/],
    ['4.8 no plates', (c) => c.queryWhite(park, []), /datas/],
    ['4.19 from without to', (c) => c.queryBookingCar(park, { from: '2026-01-01 10:00:00' }), /both set/],
    [
      '4.18 end before start',
      (c) =>
        c.synBookingCar(park, [
          {
            plate: '京 A1',
            action: 'book',
            start: '2026-01-02 10:00:00',
            end: '2026-01-01 10:00:00',
            chargeFen: 0,
            bookOrderId: 'B',
            bookOrderTime: '2026-01-01 09:00:00',
            letInStartTime: '2026-01-01 10:00:00',
            letInEndTime: '2026-01-01 10:30:00',
          },
        ]),
      /end is before start/,
    ],
    ['4.20 no names', (c) => c.queryImgByName(park, []), /datas/],
    ['4.22 empty lane', (c) => c.remoteLiftRod(park, ''), /passagewayId/],
    ['4.23 fractional minutes', (c) => c.coupon(park, [{ kind: 'time', minutes: 0.5, couponCode: 'C', orderId: '1', plate: 'x', end: 0 }]), /position/],
    ['4.29 unknown codeKind', (c) => c.unlicensedCarIn(park, { codeKind: '9' as never, authId: 'a', passagewayId: '1' }), /codeKind/],
    ['4.34 plate of 3 characters', (c) => c.getSpaceStatusByPlate(park, '京A1'), /at least 4 characters/],
    ['a park without key', (c) => c.getAllSpaceStatus({ ...park, key: '' }), /no Bluecard key/],
    ['a park without base URL', (c) => c.getAllSpaceStatus({ ...park, bluecardBaseUrl: '' }), /bluecardBaseUrl/],
  ];

  it.each(cases)('%s → invalid_request, zero hits', async (_label, call, reason) => {
    const e = await failure(call(client()));
    expect(e).toMatchObject({ kind: 'invalid_request', retryable: false, attempts: 0 });
    expect(e.message).toMatch(reason);
    expect(e.message).toContain('not sent');
    expect(fake.hits).toHaveLength(0);
  });
});

describe('secrets', () => {
  it('neither the key nor the sign appears in any error message, stack, serialized error or log line', async () => {
    const { logger, lines } = capturingLogger();
    // A short timeout only for the held call: the others answer, and on a busy machine not within 80 ms.
    const c = client({ logger, timeoutMs: { queryWhite: 1_000 } });
    // Bluecard echoing our secrets in its reason must not leak them either.
    fake.reply('getChargebf', FAIL_ANSWER(`sign ${SIGN} bad for key ${KEY}`));
    fake.reply('sendPayRes', { status: 500, text: `trace: sign=${SIGN} key=${KEY}` });
    fake.reply('delWhite', { text: `not json ${KEY}` });
    fake.reply('queryWhite', 'hang');
    const errors = [
      await failure(c.getChargebf(park, { orderId: '1', plate: '京 A1' })),
      await failure(c.sendPayRes(park, PAY)),
      await failure(c.delWhite(park, '京 A1')),
      await failure(c.queryWhite(park, ['京 A1'])),
      await failure(c.getChargebf(park, { orderId: '', plate: '京 A1' })),
      await failure(c.getAllSpaceStatus({ ...park, bluecardBaseUrl: 'http://127.0.0.1:1' })),
    ];
    await c.remoteLiftRod(park, '1'); // a success is logged too
    expect(errors.map((e) => e.kind)).toEqual(['rejected', 'http', 'bad_answer', 'timeout', 'invalid_request', 'network']);
    expect(errors[0].errorCode).toBe('sign [redacted] bad for key [redacted]');
    const everything = [
      ...errors.flatMap((e) => [e.message, String(e), e.stack ?? '', JSON.stringify(e), e.errorCode ?? '']),
      ...lines,
    ].join('\n');
    expect(lines.length).toBeGreaterThan(5);
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain(SIGN);
    // and the lines say what happened
    expect(lines.some((l) => l.includes('"iface":"4.22 RemoteLiftRod"') && l.includes('bluecard call succeeded'))).toBe(true);
    expect(lines.some((l) => l.includes('"kind":"timeout"'))).toBe(true);
  });
});

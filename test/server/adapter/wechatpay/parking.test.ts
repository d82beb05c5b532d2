/**
 * The vehicle parking adapter (adapter/wechatpay/parking.ts) against the sandbox over HTTP, in BOTH
 * verification modes: each call, what goes on the wire, input checks, answers about something else, the
 * service-provider shape; then, stripe-node style, every way an answer's or a notification's signature must
 * fail.
 */
import crypto from 'node:crypto';
import { ManualClock } from '../../../../server/src/core/clock';
import { WechatParkingAdapter, WechatPayAdapter, WechatPayError, isNotFound } from '../../../../server/src/adapter/wechatpay';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../../server/sandbox/wechatpay';

const MODES = ['platformCertificate', 'publicKey'] as const;
const NOTIFY = 'https://parkpay.example/notify/wechatpay-parking';

async function rejection(p: Promise<unknown>): Promise<WechatPayError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WechatPayError);
  return e as WechatPayError;
}

type Rewrite = (a: { url: string; status: number; headers: Headers; text: string }) => { headers?: Headers; text?: string } | void;

/** A fetch that alters answers on the way back (a man in the middle). */
function mitmFetch(rewrite: Rewrite) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    const res = await fetch(url, init);
    const text = await res.text();
    const headers = new Headers(res.headers);
    const out = rewrite({ url, status: res.status, headers, text }) ?? {};
    return new Response(res.status === 204 ? null : (out.text ?? text), { status: res.status, headers: out.headers ?? headers });
  };
}

let seq = 0;
const no = (p = 'PA') => `${p}${Date.now().toString(36)}${++seq}`;

describe.each(MODES)('parking adapter calls (%s mode)', (mode) => {
  let sandbox: WechatPaySandbox;
  let pay: WechatPayAdapter;
  let parking: WechatParkingAdapter;
  const make = (extra: Partial<ConstructorParameters<typeof WechatPayAdapter>[0]> = {}) => {
    const p = new WechatPayAdapter({ config: sandbox.merchant, ...extra });
    return new WechatParkingAdapter({ pay: p, config: sandbox.merchant, ...(extra.clock ? { clock: extra.clock } : {}) });
  };

  beforeAll(async () => {
    sandbox = await startWechatPaySandbox({ mode, timeScale: 1000, parking: { settleAfterMs: null } });
    pay = new WechatPayAdapter({ config: sandbox.merchant });
    parking = new WechatParkingAdapter({ pay, config: sandbox.merchant });
  });
  afterEach(() => sandbox.clearFaults());
  afterAll(() => sandbox.stop());

  it('findService: OUT_SERVICE, NORMAL with the open time, PAUSE — a Chinese plate signed and sent percent-encoded', async () => {
    const plate = '粤B9P0001';
    expect(await parking.findService({ openid: 'oA1', plateNumber: plate, plateColor: 'BLUE' })).toMatchObject({ serviceState: 'OUT_SERVICE', plateNumber: plate, plateColor: 'BLUE' });
    sandbox.parking.openService({ openid: 'oA1', plateNumber: plate });
    const open = await parking.findService({ openid: 'oA1', plateNumber: plate, plateColor: 'BLUE' });
    expect(open.serviceState).toBe('NORMAL');
    expect(Math.abs((open.openedAt?.getTime() ?? 0) - Date.now())).toBeLessThan(5000);
    sandbox.parking.pauseService({ plateNumber: plate });
    expect((await parking.findService({ openid: 'oA1', plateNumber: plate, plateColor: 'BLUE' })).serviceState).toBe('PAUSE');
    const hit = sandbox.hits('/v3/vehicle/parking/services/find').at(-1);
    expect(hit?.path).toBe(`/v3/vehicle/parking/services/find?appid=${sandbox.merchant.appId}&plate_number=${encodeURIComponent(plate)}&plate_color=BLUE&openid=oA1`);
    expect(hit?.status).toBe(200);
  });

  it('createEntry: the entry with its WeChat id and state; the same out_parking_no again → the same entry; BLOCKED reasons come through', async () => {
    const plate = '粤B9P0002';
    sandbox.parking.openService({ openid: 'oA2', plateNumber: plate });
    const input = { outParkingNo: no('EN'), plateNumber: plate, plateColor: 'BLUE' as const, startTime: Date.now() - 3600_000, parkingName: '示例停车场', freeDurationSeconds: 900, notifyUrl: NOTIFY };
    const e = await parking.createEntry(input);
    expect(e).toMatchObject({ id: expect.stringMatching(/^\d+$/), outParkingNo: input.outParkingNo, state: 'NORMAL' });
    expect(e.blockReason).toBeUndefined();
    expect((await parking.createEntry(input)).id).toBe(e.id);
    const stored = sandbox.parking.parkings().find((p) => p.outParkingNo === input.outParkingNo);
    expect(stored).toMatchObject({ plateNumber: plate, plateColor: 'BLUE', parkingName: '示例停车场', freeDuration: 900, notifyUrl: NOTIFY });
    expect(stored?.startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    sandbox.parking.pauseService({ plateNumber: plate });
    expect(await parking.createEntry({ ...input, outParkingNo: no('EN') })).toMatchObject({ state: 'BLOCKED', blockReason: 'PAUSE' });
  });

  it('deduct → ACCEPTED with a transaction id; queryDeduction follows it to SUCCESS / PAY_FAIL; an unknown number is isNotFound', async () => {
    const plate = '粤B9P0003';
    sandbox.parking.openService({ openid: 'oA3', plateNumber: plate });
    const startTime = Date.now() - 2 * 3600_000;
    const entry = await parking.createEntry({ outParkingNo: no('EN'), plateNumber: plate, plateColor: 'BLUE', startTime, parkingName: '示例停车场', freeDurationSeconds: 0, notifyUrl: NOTIFY });
    const outTradeNo = no('DE');
    const v = await parking.deduct({
      outTradeNo,
      description: '停车费 示例停车场',
      attach: 'p_demo_001',
      totalFen: 600,
      notifyUrl: NOTIFY,
      parking: { parkingId: entry.id, plateNumber: plate, plateColor: 'BLUE', startTime, endTime: Date.now() - 1000, parkingName: '示例停车场', chargingDurationSeconds: 7199, deviceId: 'p_demo_001' },
    });
    expect(v).toMatchObject({ tradeState: 'ACCEPTED', outTradeNo, totalFen: 600, transactionId: expect.stringMatching(/^4200/), payerOpenId: 'oA3' });
    const sent = sandbox.parking.transactions().find((t) => t.outTradeNo === outTradeNo);
    expect(sent).toMatchObject({ appid: sandbox.merchant.appId, totalFen: 600, attach: 'p_demo_001', description: '停车费 示例停车场', notifyUrl: NOTIFY });
    expect(sent?.parkingInfo).toMatchObject({ parking_id: entry.id, plate_number: plate, plate_color: 'BLUE', charging_duration: 7199, device_id: 'p_demo_001' });
    sandbox.parking.settleDeduction(outTradeNo, 'SUCCESS');
    expect(await parking.queryDeduction(outTradeNo)).toMatchObject({ tradeState: 'SUCCESS', payerTotalFen: 600, successTime: expect.any(String) });
    const missing = await rejection(parking.queryDeduction('NOSUCHDEDUCTION'));
    expect(missing).toMatchObject({ kind: 'business', httpStatus: 404, code: 'ORDER_NOT_EXIST', signed: true });
    expect(isNotFound(missing)).toBe(true);
  });

  it('refuses bad input before anything goes on the wire (invalid_request, not retryable)', async () => {
    const before = sandbox.hits('/v3/vehicle/').length;
    const base = { parkingId: '1', plateNumber: '京A12345', plateColor: 'BLUE' as const, startTime: 1_000_000_000_000, endTime: 1_000_000_060_000, parkingName: 'p', chargingDurationSeconds: 60, deviceId: 'd' };
    const d = { outTradeNo: 'OK00001', description: 'd', totalFen: 1, notifyUrl: NOTIFY, parking: base };
    const cases: Array<Promise<unknown>> = [
      parking.findService({ openid: '', plateNumber: '京A12345', plateColor: 'BLUE' }),
      parking.findService({ openid: 'o', plateNumber: '京A12345', plateColor: 'PINK' as never }),
      parking.createEntry({ outParkingNo: 'has space', plateNumber: '京A12345', plateColor: 'BLUE', startTime: 1, parkingName: 'p', freeDurationSeconds: 0, notifyUrl: NOTIFY }),
      parking.createEntry({ outParkingNo: 'X1', plateNumber: '京A12345', plateColor: 'BLUE', startTime: 1, parkingName: 'p', freeDurationSeconds: 0, notifyUrl: `${NOTIFY}?x=1` }),
      parking.createEntry({ outParkingNo: 'X1', plateNumber: '京A12345', plateColor: 'BLUE', startTime: NaN, parkingName: 'p', freeDurationSeconds: 0, notifyUrl: NOTIFY }),
      parking.deduct({ ...d, outTradeNo: 'has|pipe' }),
      parking.deduct({ ...d, totalFen: 0 }),
      parking.deduct({ ...d, totalFen: 1.5 }),
      parking.deduct({ ...d, description: 'x'.repeat(129) }),
      parking.deduct({ ...d, parking: { ...base, endTime: base.startTime + 500 } }),
      parking.deduct({ ...d, parking: { ...base, deviceId: 'x'.repeat(33) } }),
      parking.queryDeduction(''),
    ];
    for (const c of cases) expect(await rejection(c)).toMatchObject({ kind: 'invalid_request', retryable: false });
    expect(sandbox.hits('/v3/vehicle/').length).toBe(before);
  });

  it('transport and WeChat errors keep the adapter’s kinds: signed 500 retryable, signed business refusal not, timeout and reset retryable', async () => {
    sandbox.inject({ kind: 'http500', path: '/v3/vehicle/parking/services/find' });
    expect(await rejection(parking.findService({ openid: 'o', plateNumber: '京A12345', plateColor: 'BLUE' }))).toMatchObject({ kind: 'http', httpStatus: 500, retryable: true, signed: true, operation: 'parkingFindService' });
    sandbox.inject({ kind: 'error', status: 403, code: 'NO_AUTH', message: '当前商户无法扣款', path: '/v3/vehicle/transactions/out-trade-no/' });
    expect(await rejection(parking.queryDeduction('ANY0000001'))).toMatchObject({ kind: 'business', code: 'NO_AUTH', wechatMessage: '当前商户无法扣款', retryable: false, signed: true });
    // Two seconds: time for the request to reach the sandbox and use up the fault before the adapter gives up.
    const quick = make({ timeoutMs: 2_000 });
    sandbox.inject({ kind: 'timeout', path: '/v3/vehicle/parking/parkings' });
    expect(await rejection(quick.createEntry({ outParkingNo: no('EN'), plateNumber: '京A12345', plateColor: 'BLUE', startTime: Date.now() - 1000, parkingName: 'p', freeDurationSeconds: 0, notifyUrl: NOTIFY }))).toMatchObject({ kind: 'timeout', retryable: true, operation: 'parkingCreateEntry' });
    sandbox.inject({ kind: 'reset', path: '/v3/vehicle/' });
    expect(await rejection(parking.queryDeduction('ANY0000001'))).toMatchObject({ kind: 'network', retryable: true });
  });

  it('our requests are really checked: a wrong merchant key → 401 SIGN_ERROR, unsigned, not retryable', async () => {
    const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const p = new WechatPayAdapter({ config: { ...sandbox.merchant, merchantPrivateKey: otherKey } });
    const wrong = new WechatParkingAdapter({ pay: p, config: sandbox.merchant });
    expect(await rejection(wrong.findService({ openid: 'o', plateNumber: '京A12345', plateColor: 'BLUE' }))).toMatchObject({ kind: 'business', httpStatus: 401, code: 'SIGN_ERROR', signed: false, retryable: false });
  });
});

describe('service-provider shape (sub_mchid)', () => {
  let sandbox: WechatPaySandbox;
  beforeAll(async () => {
    sandbox = await startWechatPaySandbox({ mode: 'publicKey', parking: { subMchid: '1900000109', subAppid: 'wxsub0000000001', settle: 'sync' } });
  });
  afterAll(() => sandbox.stop());

  it('sends sub_mchid (and sub_appid) everywhere and accepts only answers for that sub-merchant', async () => {
    const pay = new WechatPayAdapter({ config: sandbox.merchant });
    const parking = new WechatParkingAdapter({ pay, config: sandbox.merchant, subMchid: '1900000109', subAppid: 'wxsub0000000001' });
    const plate = '粤B9S0001';
    sandbox.parking.openService({ openid: 'oS', plateNumber: plate });
    expect((await parking.findService({ openid: 'oS', plateNumber: plate, plateColor: 'BLUE' })).serviceState).toBe('NORMAL');
    const startTime = Date.now() - 3600_000;
    const entry = await parking.createEntry({ outParkingNo: no('EN'), plateNumber: plate, plateColor: 'BLUE', startTime, parkingName: 'p', freeDurationSeconds: 0, notifyUrl: NOTIFY });
    const outTradeNo = no('SP');
    const v = await parking.deduct({ outTradeNo, description: 'd', totalFen: 100, notifyUrl: NOTIFY, parking: { parkingId: entry.id, plateNumber: plate, plateColor: 'BLUE', startTime, endTime: Date.now() - 1000, parkingName: 'p', chargingDurationSeconds: 3599, deviceId: 'd' } });
    expect(v.tradeState).toBe('SUCCESS');
    expect(v.transaction).toMatchObject({ sub_mchid: '1900000109', sub_appid: 'wxsub0000000001' });
    expect((await parking.queryDeduction(outTradeNo)).tradeState).toBe('SUCCESS');
    expect(sandbox.hits('/v3/vehicle/transactions/out-trade-no/').at(-1)?.path).toBe(`/v3/vehicle/transactions/out-trade-no/${outTradeNo}?sub_mchid=1900000109`);
    // A direct-merchant adapter against this provider sandbox is refused by WeChat (signed PARAM_ERROR).
    const direct = new WechatParkingAdapter({ pay, config: sandbox.merchant });
    expect(await rejection(direct.findService({ openid: 'oS', plateNumber: plate, plateColor: 'BLUE' }))).toMatchObject({ kind: 'business', code: 'PARAM_ERROR' });
    // And an adapter for another sub-merchant refuses the answers it gets for this one.
    const notOurs = new WechatParkingAdapter({ pay, config: sandbox.merchant, subMchid: '1900000110' });
    expect(await rejection(notOurs.queryDeduction(outTradeNo))).toMatchObject({ kind: 'business', code: 'INVALID_REQUEST' });
    expect(() => new WechatParkingAdapter({ pay, config: sandbox.merchant, subAppid: 'wx' })).toThrow(/subMchid/);
  });
});

describe.each(MODES)('answer signatures: every way they must fail (%s mode)', (mode) => {
  let sandbox: WechatPaySandbox;
  const plate = '京A7S0001';
  beforeAll(async () => {
    sandbox = await startWechatPaySandbox({ mode });
    sandbox.parking.openService({ openid: 'oSig', plateNumber: plate });
  });
  afterEach(() => sandbox.clearFaults());
  afterAll(() => sandbox.stop());

  const adapter = (o: { fetch?: ReturnType<typeof mitmFetch>; clock?: ManualClock } = {}) =>
    new WechatParkingAdapter({ pay: new WechatPayAdapter({ config: sandbox.merchant, ...o }), config: sandbox.merchant, ...(o.clock ? { clock: o.clock } : {}) });
  const find = (a: WechatParkingAdapter) => a.findService({ openid: 'oSig', plateNumber: plate, plateColor: 'BLUE' });
  const onVehicle = (f: (a: { headers: Headers; text: string }) => { headers?: Headers; text?: string } | void) =>
    mitmFetch((a) => (a.url.includes('/v3/vehicle/') ? f(a) : undefined));

  it('a genuine answer verifies', async () => {
    await expect(find(adapter())).resolves.toMatchObject({ serviceState: 'NORMAL' });
  });

  it.each(['wechatpay-signature', 'wechatpay-nonce', 'wechatpay-timestamp', 'wechatpay-serial'])('a 2xx without %s → bad_signature missing_headers (retryable)', async (h) => {
    const e = await rejection(find(adapter({ fetch: onVehicle(({ headers }) => void headers.delete(h)) })));
    expect(e).toMatchObject({ kind: 'bad_signature', verification: 'missing_headers', retryable: true, operation: 'parkingFindService' });
  });

  it('a signature over another text (sandbox fault) → signature', async () => {
    sandbox.inject({ kind: 'badSignature', path: '/v3/vehicle/parking/services/find' });
    expect(await rejection(find(adapter()))).toMatchObject({ kind: 'bad_signature', verification: 'signature', retryable: true });
  });

  it('a body altered in transit (state flipped) → signature', async () => {
    const e = await rejection(find(adapter({ fetch: onVehicle(({ text }) => ({ text: text.replace('"NORMAL"', '"PAUSE"') })) })));
    expect(e).toMatchObject({ verification: 'signature' });
  });

  it('a signature that is not base64, or WeChat’s signature probe → signature', async () => {
    expect(await rejection(find(adapter({ fetch: onVehicle(({ headers }) => void headers.set('wechatpay-signature', '%%%not-base64%%%')) })))).toMatchObject({ verification: 'signature' });
    expect(await rejection(find(adapter({ fetch: onVehicle(({ headers }) => void headers.set('wechatpay-signature', `WECHATPAY/SIGNTEST/${headers.get('wechatpay-signature')}`)) })))).toMatchObject({ verification: 'signature' });
  });

  it('a timestamp 6 minutes old or ahead → timestamp; a non-number → timestamp', async () => {
    for (const shift of [-360, 360]) {
      const e = await rejection(find(adapter({ fetch: onVehicle(({ headers }) => void headers.set('wechatpay-timestamp', String(Number(headers.get('wechatpay-timestamp')) + shift))) })));
      expect(e).toMatchObject({ verification: 'timestamp' });
    }
    expect(await rejection(find(adapter({ fetch: onVehicle(({ headers }) => void headers.set('wechatpay-timestamp', 'soon')) })))).toMatchObject({ verification: 'timestamp' });
  });

  it('an unknown serial → unknown_serial', async () => {
    const serial = mode === 'publicKey' ? 'PUB_KEY_ID_0112300001092026112899999999' : 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';
    expect(await rejection(find(adapter({ fetch: onVehicle(({ headers }) => void headers.set('wechatpay-serial', serial)) })))).toMatchObject({ verification: 'unknown_serial' });
  });

  it('another signature type → unsupported_signature_type', async () => {
    expect(await rejection(find(adapter({ fetch: onVehicle(({ headers }) => void headers.set('wechatpay-signature-type', 'WECHATPAY2-SM2-WITH-SM3')) })))).toMatchObject({ verification: 'unsupported_signature_type' });
  });

  it('a non-2xx: signed → believed as a business error; signature headers present but wrong → bad_signature; none → unsigned http', async () => {
    sandbox.inject({ kind: 'error', status: 400, code: 'INVALID_REQUEST', message: 'x', path: '/v3/vehicle/parking/services/find' });
    expect(await rejection(find(adapter()))).toMatchObject({ kind: 'business', signed: true });
    sandbox.inject({ kind: 'error', status: 400, code: 'INVALID_REQUEST', message: 'x', path: '/v3/vehicle/parking/services/find' });
    expect(await rejection(find(adapter({ fetch: onVehicle(({ text }) => ({ text: text.replace('"x"', '"y"') })) })))).toMatchObject({ kind: 'bad_signature', verification: 'signature' });
    const page = adapter({ fetch: async (url, init) => (url.includes('/v3/vehicle/') ? new Response('<html>502 Bad Gateway</html>', { status: 502 }) : fetch(url, init)) });
    expect(await rejection(find(page))).toMatchObject({ kind: 'http', httpStatus: 502, signed: false, retryable: true });
  });
});

describe.each(MODES)('parking notifications: verified, and every way they must fail (%s mode)', (mode) => {
  let sandbox: WechatPaySandbox;
  let parking: WechatParkingAdapter;
  const clock = new ManualClock(Date.now());
  const plate = '京A7N0001';
  let outParkingNo = '';
  let outTradeNo = '';

  beforeAll(async () => {
    sandbox = await startWechatPaySandbox({ mode, clock, parking: { settle: 'sync' } });
    parking = new WechatParkingAdapter({ pay: new WechatPayAdapter({ config: sandbox.merchant, clock }), config: sandbox.merchant, clock });
    sandbox.parking.openService({ openid: 'oN', plateNumber: plate });
    outParkingNo = no('EN');
    const startTime = clock.now() - 3600_000;
    const entry = await parking.createEntry({ outParkingNo, plateNumber: plate, plateColor: 'BLUE', startTime, parkingName: 'p', freeDurationSeconds: 0, notifyUrl: NOTIFY });
    outTradeNo = no('NT');
    await parking.deduct({ outTradeNo, description: 'd', totalFen: 300, notifyUrl: NOTIFY, parking: { parkingId: entry.id, plateNumber: plate, plateColor: 'BLUE', startTime, endTime: clock.now() - 1000, parkingName: 'p', chargingDurationSeconds: 3599, deviceId: 'd' } });
  });
  afterAll(() => sandbox.stop());

  const verify = (n: { headers: Record<string, string>; body: string }) => parking.verifyNotification({ headers: n.headers, rawBody: n.body });

  it('accepts genuine TRANSACTION.SUCCESS and VEHICLE.ENTRANCE_STATE_CHANGE (headers in any case, body as Buffer)', async () => {
    const t = sandbox.makeNotification({ parkingOutTradeNo: outTradeNo });
    expect(await verify(t)).toMatchObject({ kind: 'transaction', id: t.id, eventType: 'TRANSACTION.SUCCESS', transaction: { out_trade_no: outTradeNo, trade_state: 'SUCCESS', amount: { total: 300 } } });
    const e = sandbox.makeNotification({ outParkingNo });
    const lower = Object.fromEntries(Object.entries(e.headers).map(([k, v]) => [k.toLowerCase(), v]));
    expect(await parking.verifyNotification({ headers: lower, rawBody: Buffer.from(e.body) })).toMatchObject({ kind: 'entranceState', eventType: 'VEHICLE.ENTRANCE_STATE_CHANGE', parking: { plate_number: plate, parking_state: 'NORMAL' } });
  });

  it.each(['Wechatpay-Signature', 'Wechatpay-Nonce', 'Wechatpay-Timestamp', 'Wechatpay-Serial'])('without %s → missing_headers (not retryable)', async (h) => {
    const n = sandbox.makeNotification({ parkingOutTradeNo: outTradeNo });
    const headers = { ...n.headers };
    delete (headers as Record<string, string>)[h];
    expect(await rejection(verify({ ...n, headers }))).toMatchObject({ kind: 'bad_signature', verification: 'missing_headers', retryable: false, operation: 'notification' });
  });

  it('signed by another key (right serial) → signature', async () => {
    const forger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(await rejection(verify(sandbox.makeNotification({ outParkingNo }, { signWith: forger })))).toMatchObject({ verification: 'signature' });
  });

  it('body altered after signing, or re-serialized → signature', async () => {
    const n = sandbox.makeNotification({ parkingOutTradeNo: outTradeNo });
    expect(await rejection(verify({ ...n, body: n.body.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.FAIL"') }))).toMatchObject({ verification: 'signature' });
    expect(await rejection(verify({ ...n, body: JSON.stringify(JSON.parse(n.body), null, 2) }))).toMatchObject({ verification: 'signature' });
  });

  it('a timestamp 6 minutes old or ahead → timestamp; 4 minutes passes', async () => {
    expect(await rejection(verify(sandbox.makeNotification({ outParkingNo }, { timestampOffsetMs: -6 * 60_000 })))).toMatchObject({ verification: 'timestamp' });
    expect(await rejection(verify(sandbox.makeNotification({ outParkingNo }, { timestampOffsetMs: 6 * 60_000 })))).toMatchObject({ verification: 'timestamp' });
    await expect(verify(sandbox.makeNotification({ outParkingNo }, { timestampOffsetMs: -4 * 60_000 }))).resolves.toMatchObject({ kind: 'entranceState' });
  });

  it('an unknown serial → unknown_serial; another signature type → unsupported_signature_type', async () => {
    const serial = mode === 'publicKey' ? 'PUB_KEY_ID_0112300001092026112800000000' : '5157F09EFDC096DE15EBE81A47057A7232FE0000';
    expect(await rejection(verify(sandbox.makeNotification({ outParkingNo }, { serial })))).toMatchObject({ verification: 'unknown_serial' });
    const n = sandbox.makeNotification({ outParkingNo });
    expect(await rejection(verify({ ...n, headers: { ...n.headers, 'Wechatpay-Signature-Type': 'WECHATPAY2-SM2-WITH-SM3' } }))).toMatchObject({ verification: 'unsupported_signature_type' });
  });

  it('altered ciphertext (GCM tag) or associated_data → decrypt', async () => {
    expect(await rejection(verify(sandbox.makeNotification({ parkingOutTradeNo: outTradeNo }, { tamper: 'ciphertext' })))).toMatchObject({ verification: 'decrypt' });
    expect(await rejection(verify(sandbox.makeNotification({ outParkingNo }, { tamper: 'aad' })))).toMatchObject({ verification: 'decrypt' });
  });

  it('another merchant’s APIv3 key → decrypt (public-key mode) / no trusted serial (certificate mode)', async () => {
    const other = new WechatParkingAdapter({ pay: new WechatPayAdapter({ config: { ...sandbox.merchant, apiV3Key: 'B'.repeat(32) }, clock }), config: { apiV3Key: 'B'.repeat(32) }, clock });
    const n = sandbox.makeNotification({ outParkingNo });
    expect(await rejection(other.verifyNotification({ headers: n.headers, rawBody: n.body }))).toMatchObject({ verification: mode === 'publicKey' ? 'decrypt' : 'unknown_serial' });
  });

  it('a signed notification that is not a parking one, or whose resource is not what its event says → malformed', async () => {
    expect(await rejection(verify(sandbox.makeNotification({ outParkingNo }, { eventType: 'REFUND.SUCCESS' })))).toMatchObject({ verification: 'malformed' });
    expect(await rejection(verify(sandbox.makeNotification({ outParkingNo }, { eventType: 'TRANSACTION.SUCCESS' })))).toMatchObject({ verification: 'malformed' });
  });

  it('a genuine notification for another sub-merchant is refused (malformed: not for this merchant)', async () => {
    const provider = new WechatParkingAdapter({ pay: new WechatPayAdapter({ config: sandbox.merchant, clock }), config: sandbox.merchant, clock, subMchid: '1900000109' });
    const n = sandbox.makeNotification({ parkingOutTradeNo: outTradeNo });
    const e = await rejection(provider.verifyNotification({ headers: n.headers, rawBody: n.body }));
    expect(e).toMatchObject({ verification: 'malformed' });
    expect(e.message).toMatch(/not for this merchant/);
  });
});

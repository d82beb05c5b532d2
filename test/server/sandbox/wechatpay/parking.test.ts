/**
 * The WeChat Pay sandbox's vehicle parking service (微信支付分停车服务) on its own, driven by raw requests
 * signed here (not by the adapter): signature checks on the new paths, signed answers, the four APIs and
 * their refusals, settlement and both notifications (delivered, signed, AEAD-encrypted), service-provider
 * mode, the HTTP control API and the H5 sign-up page.
 */
import crypto from 'node:crypto';
import { ManualClock } from '../../../../server/src/core/clock';
import { SandboxControlError, startWechatPaySandbox, type WechatPaySandbox, type WechatPaySandboxOptions } from '../../../../server/sandbox/wechatpay';
import { waitUntil } from '../../../support/eventually';
import { NotifyReceiver } from './receiver';

interface Signed {
  path: string;
  body?: unknown;
  key?: crypto.KeyObject | string;
  sendPath?: string;
}

async function call(sb: WechatPaySandbox, o: Signed) {
  const method = o.body === undefined ? 'GET' : 'POST';
  const body = o.body === undefined ? '' : JSON.stringify(o.body);
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = crypto.randomBytes(16).toString('hex');
  const signature = crypto.sign('sha256', Buffer.from(`${method}\n${o.path}\n${ts}\n${nonce}\n${body}\n`), o.key ?? sb.merchant.merchantPrivateKey).toString('base64');
  const auth = `WECHATPAY2-SHA256-RSA2048 mchid="${sb.merchant.mchId}",nonce_str="${nonce}",timestamp="${ts}",serial_no="${sb.merchant.merchantSerialNo}",signature="${signature}"`;
  const headers: Record<string, string> = { Accept: 'application/json', Authorization: auth };
  if (method === 'POST') headers['Content-Type'] = 'application/json';
  const res = await fetch(sb.url + (o.sendPath ?? o.path), { method, headers, body: method === 'POST' ? body : undefined });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

function answerVerifies(sb: WechatPaySandbox, a: { headers: Headers; text: string }): boolean {
  const ts = a.headers.get('wechatpay-timestamp');
  const nonce = a.headers.get('wechatpay-nonce');
  const sig = a.headers.get('wechatpay-signature');
  if (!ts || !nonce || !sig || a.headers.get('wechatpay-serial') !== sb.platform().serial) return false;
  return crypto.verify('sha256', Buffer.from(`${ts}\n${nonce}\n${a.text}\n`), crypto.createPublicKey(sb.platform().publicKeyPem), Buffer.from(sig, 'base64'));
}

function decrypt(apiV3Key: string, r: { ciphertext: string; nonce: string; associated_data: string }): Record<string, unknown> {
  const all = Buffer.from(r.ciphertext, 'base64');
  const d = crypto.createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(r.nonce));
  d.setAuthTag(all.subarray(all.length - 16));
  d.setAAD(Buffer.from(r.associated_data));
  return JSON.parse(Buffer.concat([d.update(all.subarray(0, all.length - 16)), d.final()]).toString('utf8')) as Record<string, unknown>;
}

const q = (o: Record<string, string>) =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');

const NOTIFY = 'https://parkpay.example/wechatpay/parking';
const wxTime = (ms: number) => `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;

let seq = 0;
const no = (p: string) => `${p}${Date.now().toString(36)}${++seq}`;

async function start(options: Partial<WechatPaySandboxOptions> = {}) {
  return startWechatPaySandbox({ mode: 'publicKey', timeScale: 1000, ...options });
}

function entryBody(o: { outParkingNo: string; plate: string; color?: string; startAt: number; notifyUrl?: string; subMchid?: string; name?: string }) {
  return {
    ...(o.subMchid ? { sub_mchid: o.subMchid } : {}),
    out_parking_no: o.outParkingNo,
    plate_number: o.plate,
    plate_color: o.color ?? 'BLUE',
    notify_url: o.notifyUrl ?? NOTIFY,
    start_time: wxTime(o.startAt),
    parking_name: o.name ?? '示例停车场',
    free_duration: 900,
  };
}

function deductBody(sb: WechatPaySandbox, o: { outTradeNo: string; parkingId: string; plate: string; color?: string; startAt: number; endAt: number; total?: number; notifyUrl?: string; subMchid?: string }) {
  return {
    appid: sb.merchant.appId,
    ...(o.subMchid ? { sub_mchid: o.subMchid } : {}),
    description: '停车费 示例停车场',
    out_trade_no: o.outTradeNo,
    trade_scene: 'PARKING',
    notify_url: o.notifyUrl ?? NOTIFY,
    amount: { total: o.total ?? 400, currency: 'CNY' },
    parking_info: {
      parking_id: o.parkingId,
      plate_number: o.plate,
      plate_color: o.color ?? 'BLUE',
      start_time: wxTime(o.startAt),
      end_time: wxTime(o.endAt),
      parking_name: '示例停车场',
      charging_duration: Math.floor((o.endAt - o.startAt) / 1000),
      device_id: 'p_demo_001',
    },
  };
}

describe('the four APIs (direct merchant)', () => {
  let sb: WechatPaySandbox;
  const findPath = (sb: WechatPaySandbox, plate: string, openid: string, color = 'BLUE') =>
    `/v3/vehicle/parking/services/find?${q({ appid: sb.merchant.appId, plate_number: plate, plate_color: color, openid })}`;

  beforeAll(async () => {
    sb = await start({ parking: { settleAfterMs: null } });
  });
  afterAll(() => sb.stop());

  it('find: OUT_SERVICE → NORMAL (with its open time) → PAUSE; another openid sees OUT_SERVICE; answers signed; the Chinese plate travels percent-encoded and signed as sent', async () => {
    const plate = '粤B8A8881';
    let a = await call(sb, { path: findPath(sb, plate, 'oUser1') });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ plate_number: plate, plate_color: 'BLUE', openid: 'oUser1', service_state: 'OUT_SERVICE' });
    expect(answerVerifies(sb, a)).toBe(true);
    sb.parking.openService({ openid: 'oUser1', plateNumber: plate });
    a = await call(sb, { path: findPath(sb, plate, 'oUser1') });
    expect(a.json).toMatchObject({ service_state: 'NORMAL', service_open_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/) });
    expect((await call(sb, { path: findPath(sb, plate, 'oSomeoneElse') })).json.service_state).toBe('OUT_SERVICE');
    expect((await call(sb, { path: findPath(sb, plate, 'oUser1', 'GREEN') })).json.service_state).toBe('OUT_SERVICE');
    sb.parking.pauseService({ plateNumber: plate });
    expect((await call(sb, { path: findPath(sb, plate, 'oUser1') })).json.service_state).toBe('PAUSE');
    // The signature covers the encoded request line: another plate after signing is refused, unsigned.
    const forged = await call(sb, { path: findPath(sb, plate, 'oUser1'), sendPath: findPath(sb, '粤B8A8882', 'oUser1') });
    expect([forged.status, forged.json.code]).toEqual([401, 'SIGN_ERROR']);
    expect(answerVerifies(sb, forged)).toBe(false);
  });

  it('find refuses missing/foreign appid, a bad colour, a missing openid and a sub_mchid from a direct merchant (signed 400s)', async () => {
    const cases: Array<[string, string]> = [
      [`/v3/vehicle/parking/services/find?${q({ plate_number: '京A12345', plate_color: 'BLUE', openid: 'o' })}`, 'PARAM_ERROR'],
      [`/v3/vehicle/parking/services/find?${q({ appid: 'wxother', plate_number: '京A12345', plate_color: 'BLUE', openid: 'o' })}`, 'APPID_MCHID_NOT_MATCH'],
      [`/v3/vehicle/parking/services/find?${q({ appid: sb.merchant.appId, plate_number: '京A12345', plate_color: 'PINK', openid: 'o' })}`, 'PARAM_ERROR'],
      [`/v3/vehicle/parking/services/find?${q({ appid: sb.merchant.appId, plate_number: '京A12345', plate_color: 'BLUE' })}`, 'PARAM_ERROR'],
      [`/v3/vehicle/parking/services/find?${q({ appid: sb.merchant.appId, sub_mchid: '1900000109', plate_number: '京A12345', plate_color: 'BLUE', openid: 'o' })}`, 'PARAM_ERROR'],
    ];
    for (const [path, code] of cases) {
      const a = await call(sb, { path });
      expect([path, a.status, a.json.code]).toEqual([path, 400, code]);
      expect(answerVerifies(sb, a)).toBe(true);
    }
  });

  it('entries: NORMAL for a served plate, BLOCKED with the reason otherwise; the same out_parking_no again → the same entry, other content → INVALID_REQUEST; a future start_time → PARAM_ERROR', async () => {
    const plate = '京A10001';
    const startAt = Date.now() - 3600_000;
    sb.parking.openService({ openid: 'oE1', plateNumber: plate });
    const outParkingNo = no('PK');
    const a = await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo, plate, startAt }) });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ id: expect.stringMatching(/^\d{29}$/), out_parking_no: outParkingNo, plate_number: plate, plate_color: 'BLUE', start_time: wxTime(startAt), parking_name: '示例停车场', free_duration: 900, state: 'NORMAL' });
    expect(answerVerifies(sb, a)).toBe(true);
    const again = await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo, plate, startAt }) });
    expect(again.json.id).toBe(a.json.id);
    const other = await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo, plate, startAt: startAt - 1000 }) });
    expect([other.status, other.json.code]).toEqual([400, 'INVALID_REQUEST']);
    const future = await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo: no('PK'), plate, startAt: Date.now() + 120_000 }) });
    expect([future.status, future.json.code]).toEqual([400, 'PARAM_ERROR']);

    const blocked = async (p: string) => (await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo: no('PK'), plate: p, startAt }) })).json;
    expect(await blocked('京A10009')).toMatchObject({ state: 'BLOCKED', block_reason: 'OUT_SERVICE' });
    sb.parking.openService({ openid: 'oE2', plateNumber: '京A10002' });
    sb.parking.pauseService({ plateNumber: '京A10002' });
    expect(await blocked('京A10002')).toMatchObject({ state: 'BLOCKED', block_reason: 'PAUSE' });
    sb.parking.openService({ openid: 'oE3', plateNumber: '京A10003' });
    sb.parking.setFlags({ plateNumber: '京A10003', overdue: true });
    expect(await blocked('京A10003')).toMatchObject({ state: 'BLOCKED', block_reason: 'OVERDUE' });
    sb.parking.setFlags({ plateNumber: '京A10003', overdue: false, evaluationFailed: true });
    expect(await blocked('京A10003')).toMatchObject({ state: 'BLOCKED', block_reason: 'EVALUATION_FAILED' });
    sb.parking.openService({ openid: 'oE4', plateNumber: '京A10004' });
    sb.parking.endService({ plateNumber: '京A10004' });
    expect(await blocked('京A10004')).toMatchObject({ state: 'BLOCKED', block_reason: 'OUT_SERVICE' });
  });

  it('deduction: ACCEPTED with a transaction id; query answers the same; a repeated out_trade_no, a used, replaced or unknown entry, mismatching scene info and impossible times are refused', async () => {
    const plate = '沪C20001';
    const startAt = Date.now() - 2 * 3600_000;
    const endAt = Date.now() - 1000;
    sb.parking.openService({ openid: 'oD1', plateNumber: plate });
    const entry = (await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo: no('PK'), plate, startAt }) })).json;
    const outTradeNo = no('DD');
    const a = await call(sb, { path: '/v3/vehicle/transactions/parking', body: deductBody(sb, { outTradeNo, parkingId: entry.id, plate, startAt, endAt }) });
    expect(a.status).toBe(200);
    expect(answerVerifies(sb, a)).toBe(true);
    expect(a.json).toMatchObject({
      appid: sb.merchant.appId,
      sp_mchid: sb.merchant.mchId,
      out_trade_no: outTradeNo,
      transaction_id: expect.stringMatching(/^4200\d{24}$/),
      trade_state: 'ACCEPTED',
      trade_scene: 'PARKING',
      payer: { openid: 'oD1' },
      amount: { total: 400, currency: 'CNY' },
      parking_info: { parking_id: entry.id, plate_number: plate },
    });
    expect(a.json.success_time).toBeUndefined();
    const queried = await call(sb, { path: `/v3/vehicle/transactions/out-trade-no/${outTradeNo}` });
    expect(queried.json).toEqual(a.json);
    expect(answerVerifies(sb, queried)).toBe(true);

    const refused = async (body: unknown) => {
      const r = await call(sb, { path: '/v3/vehicle/transactions/parking', body });
      expect(answerVerifies(sb, r)).toBe(true);
      return [r.status, r.json.code, r.json.message];
    };
    expect(await refused(deductBody(sb, { outTradeNo, parkingId: entry.id, plate, startAt, endAt }))).toEqual([400, 'INVALID_REQUEST', expect.stringMatching(/订单号重复/)]);
    expect(await refused(deductBody(sb, { outTradeNo: no('DD'), parkingId: entry.id, plate, startAt, endAt }))).toEqual([400, 'INVALID_REQUEST', '场景信息和停车入场id不匹配']);
    expect(await refused(deductBody(sb, { outTradeNo: no('DD'), parkingId: '99999', plate, startAt, endAt }))).toEqual([400, 'INVALID_REQUEST', '停车入场id不存在']);
    const first = (await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo: no('PK'), plate, startAt }) })).json;
    const second = (await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo: no('PK'), plate, startAt }) })).json;
    expect(await refused(deductBody(sb, { outTradeNo: no('DD'), parkingId: first.id, plate, startAt, endAt }))).toEqual([400, 'INVALID_REQUEST', '停车入场id不存在']);
    expect(await refused(deductBody(sb, { outTradeNo: no('DD'), parkingId: second.id, plate: '沪C20002', startAt, endAt }))).toEqual([400, 'INVALID_REQUEST', '场景信息和停车入场id不匹配']);
    expect(await refused(deductBody(sb, { outTradeNo: no('DD'), parkingId: second.id, plate, startAt: startAt - 1000, endAt }))).toEqual([400, 'INVALID_REQUEST', '场景信息和停车入场id不匹配']);
    expect((await refused(deductBody(sb, { outTradeNo: no('DD'), parkingId: second.id, plate, startAt, endAt: startAt })))[1]).toBe('PARAM_ERROR');
    expect((await refused(deductBody(sb, { outTradeNo: no('DD'), parkingId: second.id, plate, startAt, endAt: Date.now() + 120_000 })))[1]).toBe('PARAM_ERROR');
    expect((await refused({ ...deductBody(sb, { outTradeNo: no('DD'), parkingId: second.id, plate, startAt, endAt }), trade_scene: 'GAS' }))[1]).toBe('PARAM_ERROR');
    expect((await refused({ ...deductBody(sb, { outTradeNo: no('DD'), parkingId: second.id, plate, startAt, endAt }), amount: { total: 0 } }))[1]).toBe('PARAM_ERROR');
    expect((await refused({ ...deductBody(sb, { outTradeNo: no('DD'), parkingId: second.id, plate, startAt, endAt }), appid: 'wxother' }))[1]).toBe('APPID_MCHID_NOT_MATCH');
    sb.parking.pauseService({ plateNumber: plate });
    expect(await refused(deductBody(sb, { outTradeNo: no('DD'), parkingId: second.id, plate, startAt, endAt }))).toEqual([400, 'INVALID_REQUEST', expect.stringMatching(/PAUSE/)]);
    // The refused attempts left nothing behind; the entry is still usable once the service resumes.
    sb.parking.openService({ openid: 'oD1', plateNumber: plate });
    expect((await call(sb, { path: '/v3/vehicle/transactions/parking', body: deductBody(sb, { outTradeNo: no('DD'), parkingId: second.id, plate, startAt, endAt }) })).json.trade_state).toBe('ACCEPTED');
    expect(sb.parking.transactions().filter((t) => t.parkingInfo.plate_number === plate)).toHaveLength(2);
  });

  it('an unknown out_trade_no → 404 ORDER_NOT_EXIST (signed); an unknown /v3/vehicle/ path → 404', async () => {
    const a = await call(sb, { path: '/v3/vehicle/transactions/out-trade-no/NOPE000001' });
    expect([a.status, a.json.code]).toEqual([404, 'ORDER_NOT_EXIST']);
    expect(answerVerifies(sb, a)).toBe(true);
    expect((await call(sb, { path: '/v3/vehicle/parking/other' })).status).toBe(404);
  });

  it('faults target the parking paths like any other (signed 500, a wrong signature on the normal answer)', async () => {
    sb.inject({ kind: 'http500', path: '/v3/vehicle/transactions/out-trade-no/' });
    const a = await call(sb, { path: '/v3/vehicle/transactions/out-trade-no/NOPE000002' });
    expect([a.status, a.json.code, answerVerifies(sb, a)]).toEqual([500, 'SYSTEM_ERROR', true]);
    sb.inject({ kind: 'badSignature', path: '/v3/vehicle/parking/services/find' });
    const b = await call(sb, { path: findPath(sb, '京A99999', 'o') });
    expect([b.status, answerVerifies(sb, b)]).toEqual([200, false]);
  });
});

describe('settlement and notifications', () => {
  let sb: WechatPaySandbox;
  let receiver: NotifyReceiver;
  beforeAll(async () => {
    receiver = await new NotifyReceiver().start('/wechatpay/parking');
    sb = await start({ parking: { settleAfterMs: null } });
  });
  afterAll(async () => {
    await sb.stop();
    await receiver.stop();
  });

  async function parkAndDeduct(plate: string, openid: string) {
    sb.parking.openService({ openid, plateNumber: plate });
    const startAt = Date.now() - 3600_000;
    const entry = (await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo: no('PK'), plate, startAt, notifyUrl: receiver.url }) })).json;
    const outTradeNo = no('ST');
    const a = await call(sb, { path: '/v3/vehicle/transactions/parking', body: deductBody(sb, { outTradeNo, parkingId: entry.id, plate, startAt, endAt: Date.now() - 1000, notifyUrl: receiver.url }) });
    return { outTradeNo, answer: a.json, entry };
  }

  it('ACCEPTED → SUCCESS: query shows success_time and payer_total; TRANSACTION.SUCCESS is delivered signed and AEAD-encrypted', async () => {
    const { outTradeNo } = await parkAndDeduct('苏E30001', 'oS1');
    receiver.deliveries.length = 0;
    sb.parking.settleDeduction(outTradeNo, 'SUCCESS');
    await sb.notificationsSettled();
    const q1 = await call(sb, { path: `/v3/vehicle/transactions/out-trade-no/${outTradeNo}` });
    expect(q1.json).toMatchObject({ trade_state: 'SUCCESS', success_time: expect.any(String), amount: { total: 400, payer_total: 400 }, bank_type: 'OTHERS' });
    const d = receiver.deliveries.at(-1);
    expect(d).toBeDefined();
    const env = JSON.parse(d!.rawBody);
    expect(env).toMatchObject({ event_type: 'TRANSACTION.SUCCESS', resource_type: 'encrypt-resource', resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction' } });
    const h = d!.headers;
    const ok = crypto.verify('sha256', Buffer.from(`${h['wechatpay-timestamp']}\n${h['wechatpay-nonce']}\n${d!.rawBody}\n`), crypto.createPublicKey(sb.platform().publicKeyPem), Buffer.from(String(h['wechatpay-signature']), 'base64'));
    expect(ok).toBe(true);
    expect(decrypt(sb.merchant.apiV3Key, env.resource)).toEqual(q1.json);
    expect(() => sb.parking.settleDeduction(outTradeNo, 'PAY_FAIL')).toThrow(SandboxControlError);
  });

  it('insufficient balance → PAY_FAIL and TRANSACTION.FAIL; sync mode answers the outcome at once', async () => {
    const { outTradeNo } = await parkAndDeduct('苏E30002', 'oS2');
    sb.parking.setFlags({ plateNumber: '苏E30002', insufficientBalance: true });
    receiver.deliveries.length = 0;
    expect(sb.parking.settleDeduction(outTradeNo).state).toBe('PAY_FAIL');
    await sb.notificationsSettled();
    const env = JSON.parse(receiver.deliveries.at(-1)!.rawBody);
    expect(env.event_type).toBe('TRANSACTION.FAIL');
    expect(decrypt(sb.merchant.apiV3Key, env.resource)).toMatchObject({ out_trade_no: outTradeNo, trade_state: 'PAY_FAIL', trade_state_description: expect.stringMatching(/余额不足/) });

    sb.parking.setSettleMode('sync');
    try {
      expect((await parkAndDeduct('苏E30003', 'oS3')).answer.trade_state).toBe('SUCCESS');
      expect(() => sb.parking.setFlags({ plateNumber: '苏E30004', insufficientBalance: true })).toThrow(SandboxControlError); // no service yet
      sb.parking.openService({ openid: 'oS4', plateNumber: '苏E30004' });
      sb.parking.setFlags({ plateNumber: '苏E30004', insufficientBalance: true });
      expect((await parkAndDeduct('苏E30004', 'oS4')).answer).toMatchObject({ trade_state: 'PAY_FAIL', trade_state_description: expect.stringMatching(/余额不足/) });
    } finally {
      sb.parking.setSettleMode('async');
    }
  });

  it('ACCEPTED settles by itself after settleAfterMs (scaled) and notifies', async () => {
    sb.parking.setSettleMode('async', 5000);
    try {
      const { outTradeNo, answer } = await parkAndDeduct('苏E30005', 'oS5');
      // Accepted when answered (by the time the answer is read here, the 5 ms may have passed).
      expect(answer.trade_state).toBe('ACCEPTED');
      // 5000 / timeScale 1000 = 5 ms
      await waitUntil(() => sb.parking.transactions().find((t) => t.outTradeNo === outTradeNo)?.state === 'SUCCESS', 'the deduction settles');
      await sb.notificationsSettled();
      expect(sb.notifications().some((n) => n.outTradeNo === outTradeNo && n.eventType === 'TRANSACTION.SUCCESS' && n.state === 'delivered')).toBe(true);
    } finally {
      sb.parking.setSettleMode('async', null);
    }
  });

  it('while the car is in: pause → BLOCKED PAUSE, resume → NORMAL, end → BLOCKED REMOVE (VEHICLE.ENTRANCE_STATE_CHANGE); a used or replaced entry is not notified', async () => {
    const plate = '浙A40001';
    sb.parking.openService({ openid: 'oN1', plateNumber: plate });
    const outParkingNo = no('PK');
    const entry = (await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo, plate, startAt: Date.now() - 600_000, notifyUrl: receiver.url }) })).json;
    receiver.deliveries.length = 0;
    sb.parking.pauseService({ plateNumber: plate });
    sb.parking.openService({ openid: 'oN1', plateNumber: plate });
    sb.parking.endService({ plateNumber: plate });
    await sb.notificationsSettled();
    const states = receiver.deliveries.map((d) => {
      const env = JSON.parse(d.rawBody);
      expect(env).toMatchObject({ event_type: 'VEHICLE.ENTRANCE_STATE_CHANGE', resource: { original_type: '', associated_data: 'parking' } });
      const r = decrypt(sb.merchant.apiV3Key, env.resource);
      expect(r).toMatchObject({ sp_mchid: sb.merchant.mchId, parking_id: entry.id, out_parking_no: outParkingNo, plate_number: plate, plate_color: 'BLUE', free_duration: 900, state_update_time: expect.any(String) });
      return `${r.parking_state}/${r.blocked_state_description ?? ''}`;
    });
    expect(states).toEqual(['BLOCKED/PAUSE', 'NORMAL/', 'BLOCKED/REMOVE']);
    expect(sb.parking.parkings().find((p) => p.outParkingNo === outParkingNo)).toMatchObject({ state: 'BLOCKED', blockReason: 'OUT_SERVICE' });

    // A newer entry replaces the old one: only the newer is told.
    sb.parking.openService({ openid: 'oN1', plateNumber: plate });
    await sb.notificationsSettled();
    const older = (await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo: no('PK'), plate, startAt: Date.now() - 500_000, notifyUrl: receiver.url }) })).json;
    const newer = (await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo: no('PK'), plate, startAt: Date.now() - 400_000, notifyUrl: receiver.url }) })).json;
    receiver.deliveries.length = 0;
    sb.parking.pauseService({ plateNumber: plate });
    await sb.notificationsSettled();
    expect(receiver.deliveries.map((d) => decrypt(sb.merchant.apiV3Key, JSON.parse(d.rawBody).resource).parking_id)).toEqual([newer.id]);
    expect(older.id).not.toBe(newer.id);
  });

  it('notification faults apply (altered ciphertext breaks the tag; forged signature); makeNotification builds parking notifications for receiver tests', async () => {
    const { outTradeNo, entry } = await parkAndDeduct('浙A40002', 'oN2');
    sb.inject({ kind: 'tamperNotification', tamper: 'ciphertext' });
    receiver.deliveries.length = 0;
    sb.parking.settleDeduction(outTradeNo, 'SUCCESS');
    await sb.notificationsSettled();
    const env = JSON.parse(receiver.deliveries.at(-1)!.rawBody);
    expect(() => decrypt(sb.merchant.apiV3Key, env.resource)).toThrow();
    expect(sb.notifications().at(-1)?.tampered).toBe('ciphertext');

    const made = sb.makeNotification({ parkingOutTradeNo: outTradeNo });
    expect(JSON.parse(made.body).event_type).toBe('TRANSACTION.SUCCESS');
    expect(JSON.parse(made.plaintext)).toMatchObject({ out_trade_no: outTradeNo, trade_state: 'SUCCESS' });
    const madeEntry = sb.makeNotification({ outParkingNo: entry.out_parking_no });
    expect(JSON.parse(madeEntry.body).event_type).toBe('VEHICLE.ENTRANCE_STATE_CHANGE');
    expect(JSON.parse(madeEntry.plaintext)).toMatchObject({ parking_id: entry.id });
    expect(() => sb.makeNotification({ outParkingNo: 'nope' })).toThrow(SandboxControlError);
  });
});

describe('service-provider mode (sub_mchid)', () => {
  const clock = new ManualClock(Date.now());
  let sb: WechatPaySandbox;
  beforeAll(async () => {
    sb = await start({ clock, parking: { subMchid: '1900000109', subAppid: 'wxsub0000000001', settle: 'sync' } });
  });
  afterAll(() => sb.stop());

  it('every call names the sub-merchant; answers carry it; a missing or foreign sub_mchid is refused', async () => {
    const plate = '粤B50001';
    sb.parking.openService({ openid: 'oP1', plateNumber: plate });
    const base = { appid: sb.merchant.appId, plate_number: plate, plate_color: 'BLUE', openid: 'oP1' };
    expect((await call(sb, { path: `/v3/vehicle/parking/services/find?${q(base)}` })).json.code).toBe('PARAM_ERROR');
    expect((await call(sb, { path: `/v3/vehicle/parking/services/find?${q({ ...base, sub_mchid: '1900000999' })}` })).json.code).toBe('INVALID_REQUEST');
    expect((await call(sb, { path: `/v3/vehicle/parking/services/find?${q({ ...base, sub_mchid: '1900000109' })}` })).json.service_state).toBe('NORMAL');

    const startAt = clock.now() - 3600_000;
    expect((await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo: no('PK'), plate, startAt }) })).json.code).toBe('PARAM_ERROR');
    const entry = (await call(sb, { path: '/v3/vehicle/parking/parkings', body: entryBody({ outParkingNo: no('PK'), plate, startAt, subMchid: '1900000109' }) })).json;
    expect(entry.state).toBe('NORMAL');
    const outTradeNo = no('SP');
    const body = { ...deductBody(sb, { outTradeNo, parkingId: entry.id, plate, startAt, endAt: clock.now() - 1000, subMchid: '1900000109' }), sub_appid: 'wxsub0000000001' };
    const a = await call(sb, { path: '/v3/vehicle/transactions/parking', body });
    expect(a.json).toMatchObject({ sp_mchid: sb.merchant.mchId, sub_mchid: '1900000109', sub_appid: 'wxsub0000000001', trade_state: 'SUCCESS' });
    expect((await call(sb, { path: `/v3/vehicle/transactions/out-trade-no/${outTradeNo}` })).json.code).toBe('PARAM_ERROR');
    expect((await call(sb, { path: `/v3/vehicle/transactions/out-trade-no/${outTradeNo}?sub_mchid=1900000109` })).json.trade_state).toBe('SUCCESS');
  });
});

describe('HTTP control API and the H5 sign-up page', () => {
  let sb: WechatPaySandbox;
  beforeAll(async () => {
    sb = await start({ parking: { settleAfterMs: null } });
  });
  afterAll(() => sb.stop());

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${sb.url}/__sandbox/parking${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown>, cors: res.headers.get('access-control-allow-origin') };
  };

  it('open / pause / end / flags / settle-mode / state over HTTP; refusals are 409 with the reason; unknown routes 404', async () => {
    const open = await post('/services/open', { openid: 'oH1', plate_number: '川A60001' });
    expect(open).toMatchObject({ status: 200, cors: '*', json: { openid: 'oH1', plateNumber: '川A60001', plateColor: 'BLUE', state: 'NORMAL' } });
    expect((await post('/services/open', { openid: 'oOther', plate_number: '川A60001' })).status).toBe(409);
    expect((await post('/services/pause', { plate_number: '川A60001' })).json.state).toBe('PAUSE');
    expect((await post('/services/pause', { plate_number: '川A60001' })).status).toBe(409);
    expect((await post('/services/flags', { plate_number: '川A60001', insufficient_balance: true })).json.insufficientBalance).toBe(true);
    expect((await post('/services/end', { plate_number: '川A60001' })).json.state).toBe('ENDED');
    expect((await post('/services/open', { openid: 'oH1', plate_number: '川A60001', plate_color: 'PINK' })).status).toBe(409);
    expect((await post('/settle-mode', { mode: 'sync' })).json).toEqual({ settleMode: 'sync', settleAfterMs: null });
    expect((await post('/settle-mode', { mode: 'later' })).status).toBe(409);
    expect((await post('/transactions/NOPE/settle', { state: 'SUCCESS' })).status).toBe(409);
    const state = await (await fetch(`${sb.url}/__sandbox/parking/state`)).json();
    expect(state).toMatchObject({ subMchid: null, settleMode: 'sync', services: [expect.objectContaining({ plateNumber: '川A60001', state: 'ENDED' })] });
    expect((await fetch(`${sb.url}/__sandbox/parking/nothing`)).status).toBe(404);
    const bad = await fetch(`${sb.url}/__sandbox/parking/services/open`, { method: 'POST', body: 'not json' });
    expect(bad.status).toBe(400);
  });

  it('sign-up page: shows the plate (escaped), opens the service on "open", not on "cancel", links back only to http(s); a foreign merchant is refused like WeChat', async () => {
    const params = { mchid: sb.merchant.mchId, openid: 'oH2', plate_number: '川A60002', plate_color: 'GREEN', trade_scene: 'PARKING', return_url: 'https://parkpay.example/agreements' };
    const url = `${sb.parking.signupPageUrl}?${q(params)}`;
    const page = await fetch(url);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('川A60002');
    expect(html).toContain('绿色车牌');
    expect(html).toContain('href="https://parkpay.example/agreements"');
    expect(html).toContain('value="open"');

    const form = (action: string, extra: Record<string, string> = {}) => fetch(sb.parking.signupPageUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ...params, ...extra, action }).toString() });
    const cancelled = await (await form('cancel')).text();
    expect(cancelled).toContain('data-outcome="cancelled"');
    expect(sb.parking.services().find((s) => s.plateNumber === '川A60002')).toBeUndefined();
    const opened = await (await form('open')).text();
    expect(opened).toContain('data-outcome="opened"');
    expect(sb.parking.services().find((s) => s.plateNumber === '川A60002')).toMatchObject({ openid: 'oH2', plateColor: 'GREEN', state: 'NORMAL' });
    expect(await (await fetch(url)).text()).toContain('已开通');

    const evil = await (await fetch(`${sb.parking.signupPageUrl}?${q({ ...params, plate_number: '<script>x</script>', return_url: 'javascript:alert(1)' })}`)).text();
    expect(evil).not.toContain('<script>x');
    expect(evil).toContain('&lt;script&gt;');
    expect(evil).not.toContain('javascript:');

    const foreign = await fetch(`${sb.parking.signupPageUrl}?${q({ ...params, mchid: '1900000001' })}`);
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain('商户无权限发起该流程');
    const taken = await form('open', { openid: 'oSomeoneElse' });
    expect(taken.status).toBe(409);
  });
});

/**
 * Refunds of vehicle-parking deductions in the WeChat Pay sandbox, driven by raw signed requests: the
 * parking service's deductions are refunded through the common 申请退款 / 查询单笔退款 API (the parking
 * service's API list names them), with WeChat's rules — only a paid deduction, never more than its total,
 * one refund per out_refund_no, signed answers, the trade turning REFUND — and, for a service provider, the
 * sub-merchant named in the refund and its query.
 */
import crypto from 'node:crypto';
import { ManualClock } from '../../../../server/src/core/clock';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../../server/sandbox/wechatpay';

async function call(sb: WechatPaySandbox, path: string, body?: unknown) {
  const method = body === undefined ? 'GET' : 'POST';
  const text = body === undefined ? '' : JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = crypto.randomBytes(16).toString('hex');
  const signature = crypto.sign('sha256', Buffer.from(`${method}\n${path}\n${ts}\n${nonce}\n${text}\n`), sb.merchant.merchantPrivateKey).toString('base64');
  const auth = `WECHATPAY2-SHA256-RSA2048 mchid="${sb.merchant.mchId}",nonce_str="${nonce}",timestamp="${ts}",serial_no="${sb.merchant.merchantSerialNo}",signature="${signature}"`;
  const headers: Record<string, string> = { Accept: 'application/json', Authorization: auth };
  if (method === 'POST') headers['Content-Type'] = 'application/json';
  const res = await fetch(sb.url + path, { method, headers, body: method === 'POST' ? text : undefined });
  const answer = await res.text();
  return { status: res.status, headers: res.headers, text: answer, json: answer ? JSON.parse(answer) : undefined };
}

function signedBySandbox(sb: WechatPaySandbox, a: { headers: Headers; text: string }): boolean {
  const h = (k: string) => a.headers.get(k) ?? '';
  return crypto.verify('sha256', Buffer.from(`${h('wechatpay-timestamp')}\n${h('wechatpay-nonce')}\n${a.text}\n`), crypto.createPublicKey(sb.platform().publicKeyPem), Buffer.from(h('wechatpay-signature'), 'base64'));
}

const wxTime = (ms: number) => `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`;
let seq = 0;
const no = (p: string) => `${p}${Date.now().toString(36)}${++seq}`;

/** A car parked and a deduction made for it (raw calls, as ParkPay's adapter makes them). */
async function deduction(sb: WechatPaySandbox, plate: string, openid: string, o: { total?: number; subMchid?: string; now?: number } = {}) {
  sb.parking.openService({ openid, plateNumber: plate });
  const sub = o.subMchid ? { sub_mchid: o.subMchid } : {};
  const now = o.now ?? Date.now();
  const startAt = now - 3600_000;
  const entry = (
    await call(sb, '/v3/vehicle/parking/parkings', {
      ...sub,
      out_parking_no: no('PK'),
      plate_number: plate,
      plate_color: 'BLUE',
      notify_url: 'https://parkpay.example/notify/wechatpay/parking',
      start_time: wxTime(startAt),
      parking_name: '示例停车场',
      free_duration: 0,
    })
  ).json;
  const outTradeNo = no('PW');
  const a = await call(sb, '/v3/vehicle/transactions/parking', {
    appid: sb.merchant.appId,
    ...sub,
    description: '停车费',
    out_trade_no: outTradeNo,
    trade_scene: 'PARKING',
    notify_url: 'https://parkpay.example/notify/wechatpay/parking',
    amount: { total: o.total ?? 500, currency: 'CNY' },
    parking_info: {
      parking_id: entry.id,
      plate_number: plate,
      plate_color: 'BLUE',
      start_time: wxTime(startAt),
      end_time: wxTime(now - 1000),
      parking_name: '示例停车场',
      charging_duration: 3599,
      device_id: 'p_demo_001',
    },
  });
  expect(a.status).toBe(200);
  return { outTradeNo, transactionId: a.json.transaction_id as string };
}

const refundBody = (outTradeNo: string, outRefundNo: string, refund: number, total: number, extra: Record<string, unknown> = {}) => ({
  out_trade_no: outTradeNo,
  out_refund_no: outRefundNo,
  reason: '停车场未收到扣款结果',
  amount: { refund, total, currency: 'CNY' },
  ...extra,
});

describe('refunds of parking deductions (direct merchant)', () => {
  let sb: WechatPaySandbox;
  beforeAll(async () => {
    sb = await startWechatPaySandbox({ mode: 'publicKey', timeScale: 1000, refundSettleMs: null, parking: { settleAfterMs: null } });
  });
  afterAll(() => sb.stop());

  it('only a paid deduction: ACCEPTED is refused; after SUCCESS the refund is PROCESSING (signed), the trade REFUND, the money counted back on SUCCESS', async () => {
    const { outTradeNo, transactionId } = await deduction(sb, '苏E40001', 'oR1');
    const early = await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, no('RF'), 500, 500));
    expect(early.status).toBe(400);
    expect(early.json).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/未支付/) });

    sb.parking.settleDeduction(outTradeNo, 'SUCCESS');
    const outRefundNo = no('RF');
    const r = await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, outRefundNo, 500, 500));
    expect(r.status).toBe(200);
    expect(signedBySandbox(sb, r)).toBe(true);
    expect(r.json).toMatchObject({ out_refund_no: outRefundNo, out_trade_no: outTradeNo, transaction_id: transactionId, status: 'PROCESSING', amount: { refund: 500, total: 500 } });

    const t = await call(sb, `/v3/vehicle/transactions/out-trade-no/${outTradeNo}`);
    expect(t.json).toMatchObject({ trade_state: 'REFUND', amount: { total: 500, payer_total: 500 } });
    expect(sb.parking.transactions().find((x) => x.outTradeNo === outTradeNo)).toMatchObject({ state: 'REFUND', refundedFen: 500 });

    sb.settleRefund(outRefundNo, 'SUCCESS');
    const q = await call(sb, `/v3/refund/domestic/refunds/${outRefundNo}`);
    expect(q.json).toMatchObject({ status: 'SUCCESS', success_time: expect.any(String), out_trade_no: outTradeNo });
    expect(signedBySandbox(sb, q)).toBe(true);
  });

  it('one refund per out_refund_no: the same request answers the same refund; other content, more than the total, or a sub_mchid from a direct merchant are refused', async () => {
    const { outTradeNo, transactionId } = await deduction(sb, '苏E40002', 'oR2', { total: 800 });
    sb.parking.settleDeduction(outTradeNo, 'SUCCESS');
    const outRefundNo = no('RF');
    const first = await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, outRefundNo, 300, 800));
    const again = await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, outRefundNo, 300, 800));
    expect(again.json.refund_id).toBe(first.json.refund_id);
    expect(sb.refunds().filter((x) => x.outTradeNo === outTradeNo)).toHaveLength(1);
    expect((await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, outRefundNo, 400, 800))).json.code).toBe('INVALID_REQUEST');
    expect((await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, no('RF'), 600, 800))).json).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringMatching(/超过/) });
    expect((await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, no('RF'), 100, 700))).json.code).toBe('PARAM_ERROR');
    expect((await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, no('RF'), 100, 800, { sub_mchid: '1900000109' }))).json.code).toBe('PARAM_ERROR');
    // By transaction_id as well; the rest of the money.
    const rest = await call(sb, '/v3/refund/domestic/refunds', { ...refundBody('', no('RF'), 500, 800), out_trade_no: undefined, transaction_id: transactionId });
    expect(rest.json).toMatchObject({ status: 'PROCESSING', out_trade_no: outTradeNo });
    expect(sb.parking.transactions().find((x) => x.outTradeNo === outTradeNo)!.refundedFen).toBe(800);
  });

  it('a refund that closes gives the amount back to what may be refunded', async () => {
    const { outTradeNo } = await deduction(sb, '苏E40003', 'oR3');
    sb.parking.settleDeduction(outTradeNo, 'SUCCESS');
    const outRefundNo = no('RF');
    await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, outRefundNo, 500, 500));
    sb.settleRefund(outRefundNo, 'CLOSED');
    expect(sb.parking.transactions().find((x) => x.outTradeNo === outTradeNo)!.refundedFen).toBe(0);
    expect((await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, no('RF'), 500, 500))).status).toBe(200);
  });

  it('an unknown trade → 404 RESOURCE_NOT_EXISTS; an unknown refund → 404', async () => {
    expect((await call(sb, '/v3/refund/domestic/refunds', refundBody('PWNOSUCHTRADE', no('RF'), 100, 100))).json.code).toBe('RESOURCE_NOT_EXISTS');
    expect((await call(sb, `/v3/refund/domestic/refunds/${no('RF')}`)).status).toBe(404);
  });
});

describe('refunds of parking deductions (service provider)', () => {
  const clock = new ManualClock(Date.now());
  let sb: WechatPaySandbox;
  beforeAll(async () => {
    sb = await startWechatPaySandbox({ mode: 'publicKey', clock, timeScale: 1000, refundSettleMs: null, parking: { subMchid: '1900000109', settle: 'sync' } });
  });
  afterAll(() => sb.stop());

  it('the refund and its query name the sub-merchant; without it or with another one the trade and the refund are not found', async () => {
    const { outTradeNo } = await deduction(sb, '粤B60001', 'oSP1', { subMchid: '1900000109', now: clock.now() });
    const outRefundNo = no('RF');
    expect((await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, outRefundNo, 500, 500))).json.code).toBe('PARAM_ERROR');
    expect((await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, outRefundNo, 500, 500, { sub_mchid: '1900000999' }))).status).toBe(404);
    const r = await call(sb, '/v3/refund/domestic/refunds', refundBody(outTradeNo, outRefundNo, 500, 500, { sub_mchid: '1900000109' }));
    expect(r.json).toMatchObject({ status: 'PROCESSING', out_trade_no: outTradeNo });
    expect((await call(sb, `/v3/refund/domestic/refunds/${outRefundNo}`)).status).toBe(404);
    expect((await call(sb, `/v3/refund/domestic/refunds/${outRefundNo}?sub_mchid=1900000109`)).json).toMatchObject({ out_refund_no: outRefundNo, status: 'PROCESSING' });
  });
});

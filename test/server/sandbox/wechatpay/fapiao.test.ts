/**
 * The WeChat Pay sandbox's e-invoicing (new-tax-control-fapiao) on its own, by raw HTTP requests signed here
 * (not by the adapter): signatures checked and answers signed, issuing under a paid transaction and never
 * more than it, the PDF, reversal (红冲) with the reasons 数电 fapiao take and the fapiao code left out, and
 * faults by path.
 */
import crypto from 'node:crypto';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../../server/sandbox/wechatpay';

const API = '/v3/new-tax-control-fapiao';

async function call(sb: WechatPaySandbox, method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown, o: { key?: crypto.KeyObject | string; unsigned?: boolean } = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000));
  const nonce = crypto.randomBytes(16).toString('hex');
  const signature = crypto.sign('sha256', Buffer.from(`${method}\n${path}\n${ts}\n${nonce}\n${text}\n`), o.key ?? sb.merchant.merchantPrivateKey).toString('base64');
  const auth = `WECHATPAY2-SHA256-RSA2048 mchid="${sb.merchant.mchId}",nonce_str="${nonce}",timestamp="${ts}",serial_no="${sb.merchant.merchantSerialNo}",signature="${signature}"`;
  const headers: Record<string, string> = { Accept: 'application/json', ...(o.unsigned ? {} : { Authorization: auth }) };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(sb.url + path, { method, headers, body: body === undefined ? undefined : text });
  const answer = await res.text();
  return { status: res.status, headers: res.headers, text: answer, json: answer ? JSON.parse(answer) : undefined };
}

function answerVerifies(sb: WechatPaySandbox, a: { headers: Headers; text: string }): boolean {
  const ts = a.headers.get('wechatpay-timestamp');
  const nonce = a.headers.get('wechatpay-nonce');
  const sig = a.headers.get('wechatpay-signature');
  if (!ts || !nonce || !sig) return false;
  return crypto.verify('sha256', Buffer.from(`${ts}\n${nonce}\n${a.text}\n`), crypto.createPublicKey(sb.platform().publicKeyPem), Buffer.from(sig, 'base64'));
}

/** A JSAPI order of `total` fen paid by oPayer: its transaction_id. */
async function paid(sb: WechatPaySandbox, outTradeNo: string, total: number): Promise<string> {
  const body = { appid: sb.merchant.appId, mchid: sb.merchant.mchId, description: '停车费', out_trade_no: outTradeNo, notify_url: 'https://parkpay.example/notify', amount: { total, currency: 'CNY' }, payer: { openid: 'oPayer' } };
  expect((await call(sb, 'POST', '/v3/pay/transactions/jsapi', body)).status).toBe(200);
  sb.pay(outTradeNo);
  return sb.orders().find((o) => o.outTradeNo === outTradeNo)!.transactionId!;
}

const COMPANY = { type: 'ORGANIZATION', name: '深圳市停车测试科技有限公司', taxpayer_id: '91440300MA5TEST01X' };
const line = (fen: number) => ({ tax_code: '3040502020200000000', goods_name: '停车服务费', quantity: 100_000_000, total_amount: fen, discount: false, tax_rate: 900 });
const application = (transactionId: string, fapiaoId: string, fen: number) => ({
  scene: 'WITH_WECHATPAY',
  fapiao_apply_id: transactionId,
  buyer_information: COMPANY,
  fapiao_information: [{ fapiao_id: fapiaoId, total_amount: fen, need_list: false, items: [line(fen)] }],
});

let sb: WechatPaySandbox;
beforeAll(async () => {
  sb = await startWechatPaySandbox({ mode: 'publicKey', fapiao: { settleAfterMs: null } });
});
afterAll(() => sb.stop());

describe('e-invoicing in the WeChat Pay sandbox', () => {
  it('checks request signatures and signs its answers', async () => {
    expect((await call(sb, 'GET', `${API}/merchant/development-config`, undefined, { unsigned: true })).status).toBe(401);
    const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(await call(sb, 'GET', `${API}/merchant/development-config`, undefined, { key: other })).toMatchObject({ status: 401, json: { code: 'SIGN_ERROR' } });
    const ok = await call(sb, 'GET', `${API}/merchant/development-config`);
    expect(ok.status).toBe(200);
    expect(answerVerifies(sb, ok)).toBe(true);
  });

  it('issues for a paid transaction once a callback is configured, never more than it; the PDF is a PDF', async () => {
    const tx = await paid(sb, 'FP00000000001', 1500);
    expect(await call(sb, 'POST', `${API}/fapiao-applications`, application(tx, 'FP1A', 1500))).toMatchObject({ status: 400, json: { code: 'INVALID_REQUEST' } });
    expect((await call(sb, 'PATCH', `${API}/merchant/development-config`, { callback_url: 'https://parkpay.example/notify/wechatpay/fapiao', show_fapiao_cell: true })).status).toBe(200);
    expect((await call(sb, 'POST', `${API}/fapiao-applications`, application(tx, 'FP1A', 1501))).status).toBe(400);
    expect((await call(sb, 'POST', `${API}/fapiao-applications`, { ...application(tx, 'FP1A', 1500), buyer_information: { ...COMPANY, taxpayer_id: 'NOT-A-TAX-ID' } })).status).toBe(400);
    expect((await call(sb, 'POST', `${API}/fapiao-applications`, application(tx, 'FP1A', 1500))).status).toBe(202);
    sb.fapiao.settle(tx);
    const q = await call(sb, 'GET', `${API}/fapiao-applications/${tx}?fapiao_id=FP1A`);
    expect(q.status).toBe(200);
    expect(q.json.fapiao_information[0]).toMatchObject({ fapiao_id: 'FP1A', status: 'ISSUED', total_amount: 1500 });
    const files = await call(sb, 'GET', `${API}/fapiao-applications/${tx}/fapiao-files?fapiao_id=FP1A`);
    const url = files.json.fapiao_download_info_list[0].download_url as string;
    const pdf = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('reverses with a reason 数电 fapiao take (another code refused), the fapiao code left out, the number checked', async () => {
    const tx = await paid(sb, 'FP00000000002', 800);
    expect((await call(sb, 'POST', `${API}/fapiao-applications`, application(tx, 'FP2A', 800))).status).toBe(202);
    sb.fapiao.settle(tx);
    const blue = sb.fapiao.applications().find((a) => a.applyId === tx)!.fapiao[0]!.blue!;
    const reverse = (reason: string, info: Record<string, string>) => call(sb, 'POST', `${API}/fapiao-applications/${tx}/reverse`, { reverse_reason: reason, fapiao_information: [{ fapiao_id: 'FP2A', ...info }] });
    expect(await reverse('REFUNDED', { fapiao_number: blue.fapiao_number })).toMatchObject({ status: 400, json: { code: 'PARAM_ERROR' } });
    expect(await reverse('SALES_RETURN', { fapiao_number: '00000000' })).toMatchObject({ status: 400, json: { code: 'INVALID_REQUEST' } });
    expect(await reverse('SALES_RETURN', { fapiao_code: '000000000000', fapiao_number: blue.fapiao_number })).toMatchObject({ status: 400, json: { code: 'INVALID_REQUEST' } });
    expect((await reverse('SALES_RETURN', { fapiao_number: blue.fapiao_number })).status).toBe(202);
    sb.fapiao.settle(tx);
    const f = sb.fapiao.applications().find((a) => a.applyId === tx)!.fapiao[0]!;
    expect(f).toMatchObject({ status: 'REVERSED', reverseReason: 'SALES_RETURN' });
    expect(f.red?.fapiao_number).toMatch(/^\d+$/);
  });

  it('faults target the e-invoicing paths', async () => {
    sb.inject({ kind: 'error', status: 429, code: 'FREQUENCY_LIMITED', times: 1, path: `${API}/` });
    expect((await call(sb, 'GET', `${API}/merchant/development-config`)).json.code).toBe('FREQUENCY_LIMITED');
    expect((await call(sb, 'GET', `${API}/merchant/development-config`)).status).toBe(200);
  });
});

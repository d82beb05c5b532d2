/**
 * AlipayWithholdingGateway.refund through the Alipay sandbox: alipay.trade.refund of an agreement deduction
 * with out_request_no = refundNo — the money back in the user's balance, once, however often it is asked;
 * a lost answer settled by asking again; Alipay's refusals 'failed' with the sub_code; answers we cannot
 * trust thrown.
 */
import type { AgreementRef } from '../../../../server/src/core/agreements/gateways';
import { AlipayError } from '../../../../server/src/adapter/alipay';
import { createAlipayWithholdingGateway, type AlipayWithholdingGateway } from '../../../../server/src/adapter/payments/alipay-withholding';
import { startAlipaySandbox, type AlipaySandbox } from '../../../../server/sandbox/alipay';

let sandbox: AlipaySandbox;
let gw: AlipayWithholdingGateway;
let seq = 0;
const num = (p: string) => `${p}${Date.now().toString(36).toUpperCase()}${(++seq).toString().padStart(4, '0')}`;

beforeAll(async () => {
  sandbox = await startAlipaySandbox();
  gw = createAlipayWithholdingGateway(sandbox.app, { notifyUrl: 'http://127.0.0.1:9/notify/alipay/agreement', adapter: { timeoutMs: 2_000 } });
});
afterAll(() => sandbox.stop());

async function activeRef(user: string): Promise<AgreementRef> {
  const ref: AgreementRef = { signNo: num('PPA'), plate: '粤B12345', payer: {} };
  const start = await gw.startSignup(ref);
  if (start.provider !== 'alipay') throw new Error('alipay expected');
  sandbox.agreements.sign(start.signUrl, user);
  return { ...ref, agreementNo: (await gw.check(ref)).agreementNo as string };
}

async function paid(user: string, fen: number): Promise<string> {
  const agreement = await activeRef(user);
  const outTradeNo = num('PW');
  const r = await gw.deduct({ outTradeNo, agreement, amountFen: fen, parkNumber: 'p_demo_001', parkName: '示例停车场', enteredAt: new Date(Date.now() - 3600_000), leftAt: new Date(), description: '停车费 粤B12345' });
  expect(r.status).toBe('paid');
  return outTradeNo;
}

const refundCalls = (refundNo: string) =>
  sandbox.requests().filter((h) => h.method === 'alipay.trade.refund' && JSON.parse(h.params.biz_content ?? '{}').out_request_no === refundNo);

it('refunded: the money is back in the balance; asked again with the same refundNo it is refunded once; the deduction still reads paid', async () => {
  sandbox.agreements.setBalance('li', 3000);
  try {
    const outTradeNo = await paid('li', 1200);
    expect(sandbox.agreements.balance('li')).toBe(1800);
    const refundNo = num('RF');
    const r = await gw.refund({ outTradeNo, refundNo, refundFen: 1200, totalFen: 1200, reason: '停车场未收到扣款结果，已退回' });
    expect(r).toMatchObject({ status: 'refunded', refundedAt: expect.any(Date) });
    expect(sandbox.agreements.balance('li')).toBe(3000);
    expect(await gw.refund({ outTradeNo, refundNo, refundFen: 1200, totalFen: 1200, reason: 'again' })).toMatchObject({ status: 'refunded' });
    expect(sandbox.agreements.balance('li')).toBe(3000);
    expect(sandbox.trade(outTradeNo)).toMatchObject({ tradeStatus: 'TRADE_CLOSED', refundedFen: 1200, refunds: [expect.objectContaining({ outRequestNo: refundNo, reason: '停车场未收到扣款结果，已退回' })] });
    expect(refundCalls(refundNo)).toHaveLength(2);
    expect((await gw.queryDeduction(outTradeNo)).status).toBe('paid');
  } finally {
    sandbox.agreements.setBalance('li', null);
  }
});

it('a lost answer (timeout after Alipay refunded): thrown; the retry with the same refundNo confirms it and moves no more money', async () => {
  sandbox.agreements.setBalance('zhang', 1000);
  try {
    const outTradeNo = await paid('zhang', 400);
    const refundNo = num('RF');
    sandbox.inject({ type: 'timeout', method: 'alipay.trade.refund', afterProcessing: true });
    await expect(gw.refund({ outTradeNo, refundNo, refundFen: 400, totalFen: 400, reason: 'r' })).rejects.toMatchObject({ kind: 'timeout' });
    expect(sandbox.agreements.balance('zhang')).toBe(1000);
    expect(await gw.refund({ outTradeNo, refundNo, refundFen: 400, totalFen: 400, reason: 'r' })).toMatchObject({ status: 'refunded' });
    expect(sandbox.agreements.balance('zhang')).toBe(1000);
    expect(sandbox.trade(outTradeNo)!.refunds).toHaveLength(1);
  } finally {
    sandbox.agreements.setBalance('zhang', null);
  }
});

it('Alipay refusals are failed with the sub_code (a finished trade, a trade that does not exist); a forged answer is thrown', async () => {
  const finished = await paid('driver', 300);
  sandbox.finish(finished);
  expect(await gw.refund({ outTradeNo: finished, refundNo: num('RF'), refundFen: 300, totalFen: 300, reason: 'r' })).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^ACQ\.TRADE_HAS_FINISHED/) });
  expect(await gw.refund({ outTradeNo: num('PW'), refundNo: num('RF'), refundFen: 300, totalFen: 300, reason: 'r' })).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^ACQ\.TRADE_NOT_EXIST/) });

  const other = await paid('driver', 300);
  sandbox.inject({ type: 'bad_signature', method: 'alipay.trade.refund' });
  const e = await gw.refund({ outTradeNo: other, refundNo: num('RF'), refundFen: 300, totalFen: 300, reason: 'r' }).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AlipayError);
  sandbox.inject({ type: 'business_error', method: 'alipay.trade.refund', code: '20000', subCode: 'ACQ.SYSTEM_ERROR' });
  await expect(gw.refund({ outTradeNo: other, refundNo: num('RF'), refundFen: 300, totalFen: 300, reason: 'r' })).rejects.toBeInstanceOf(AlipayError);
});

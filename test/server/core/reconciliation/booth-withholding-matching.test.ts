/**
 * Booth face-to-face payments (FP…) and withholding deductions (PW…) as our payments in the daily
 * reconciliation, without a database: how their records become OurPayment, and how they meet the lot's
 * records — by our number when the lot was given it (4.24 payContent, 4.16 agreement), by the stay when it
 * was not (4.27 answers a bare success).
 */
import { matchPayments } from '../../../../server/src/core/reconciliation/daily';
import type { LotChargeRecord, OurPayment } from '../../../../server/src/core/reconciliation/model';
import { deductionsAsOurs, facePaymentsAsOurs } from '../../../../server/src/repository/reconciliation';

const T = new Date('2026-11-29T02:00:00Z');
const FP = (n: number) => `FP261129100000ABCDEF${String(n).padStart(2, '0')}`;
const PW = (n: number) => `PW261129100000ABCDEF${String(n).padStart(2, '0')}`;
const ours = (ref: string, o: Partial<OurPayment> = {}): OurPayment => ({
  ref,
  kind: ref.startsWith('FP') ? 'face_to_face' : 'withholding',
  parkNumber: 'P',
  orderId: `stay-${ref}`,
  plate: '京A12345',
  channel: 'wechat',
  amountFen: 400,
  refundedFen: 0,
  paidAt: T,
  expectAtLot: true,
  ...o,
});
const lot = (payNo: string, o: Partial<LotChargeRecord> = {}): LotChargeRecord => ({
  source: '4.3',
  payNo,
  orderId: `stay-${payNo}`,
  plate: '京A12345',
  at: T,
  amountFen: 400,
  payKind: '第三方支付',
  payChannel: '通道付',
  ...o,
});

describe('booth payments and deductions meet the lot', () => {
  it('by our number (4.24 tradeNo, 4.16 agreement tradeNo): matched, amount differences, numbers of ours we have no payment for', () => {
    const rows = matchPayments(
      [ours(FP(1)), ours(FP(2), { channel: 'alipay' }), ours(PW(3)), ours(PW(4), { amountFen: 700 })],
      [lot(FP(1), { payKind: '第三方当面付' }), lot(FP(2), { amountFen: 300 }), lot(PW(3), { payKind: '微信' }), lot(PW(4)), lot(FP(8)), lot(PW(9))],
      () => true,
    );
    const by = (ref: string) => rows.find((r) => r.ours?.ref === ref || r.lot?.payNo === ref)!;
    expect(by(FP(1))).toMatchObject({ status: 'matched', channel: 'wechat', takingsFen: 400 });
    expect(by(FP(2))).toMatchObject({ status: 'amount_differs', channel: 'alipay', differenceFen: -100, takingsFen: 400 });
    expect(by(PW(3))).toMatchObject({ status: 'matched' });
    expect(by(PW(4))).toMatchObject({ status: 'amount_differs', differenceFen: 400 - 700 });
    // Booth and withholding numbers the lot has and we do not: differences, not the lot's own takings.
    expect(by(FP(8))).toMatchObject({ status: 'missing_ours', differenceFen: 400, takingsFen: 0 });
    expect(by(PW(9))).toMatchObject({ status: 'missing_ours', differenceFen: 400, takingsFen: 0 });
    expect(rows.filter((r) => r.status === 'lot_only')).toEqual([]);
  });

  it('by the stay when the lot had no number of ours (4.27): the same amount first, else the only candidate; cash and our other numbers are never taken', () => {
    const p = (n: number, o: Partial<OurPayment> = {}) => ours(PW(n), { numberedAtLot: false, orderId: `s${n}`, ...o });
    const rows = matchPayments(
      [p(1), p(2, { amountFen: 500 }), p(3), p(4), p(5), p(6)],
      [
        // s1: the lot's own number, same amount.
        lot('CP-1', { orderId: 's1' }),
        // s2: the lot got the amount wrong; its only record of the stay in an unnamed channel.
        lot('CP-2', { orderId: 's2', amountFen: 200 }),
        // s3: the driver also paid cash at the booth; the lot's third-party record has the same amount.
        lot('CASH-3', { orderId: 's3', payKind: '现金', payChannel: '中央收费', amountFen: 400 }),
        lot('CP-3', { orderId: 's3' }),
        // s4: only cash: not ours.
        lot('CASH-4', { orderId: 's4', payKind: '现金', payChannel: '中央收费' }),
        // s5: two records of the stay, neither of our amount: ambiguous, not joined.
        lot('CP-5a', { orderId: 's5', amountFen: 100 }),
        lot('CP-5b', { orderId: 's5', amountFen: 200 }),
        // s6: one of our numbers (another payment's), never taken for a 4.27 deduction.
        lot(PW(77), { orderId: 's6' }),
      ],
      () => true,
    );
    const ofRef = (n: number) => rows.find((r) => r.ours?.ref === PW(n))!;
    expect(ofRef(1)).toMatchObject({ status: 'matched', lot: { payNo: 'CP-1' }, channel: 'wechat' });
    expect(ofRef(2)).toMatchObject({ status: 'amount_differs', lot: { payNo: 'CP-2' }, differenceFen: 200 - 500 });
    expect(ofRef(3)).toMatchObject({ status: 'matched', lot: { payNo: 'CP-3' } });
    expect(ofRef(4)).toMatchObject({ status: 'missing_at_lot' });
    expect(ofRef(5)).toMatchObject({ status: 'missing_at_lot' });
    expect(ofRef(6)).toMatchObject({ status: 'missing_at_lot' });
    const lotRow = (payNo: string) => rows.find((r) => !r.ours && r.lot?.payNo === payNo)!;
    expect(lotRow('CASH-3')).toMatchObject({ status: 'lot_only', channel: 'cash' });
    expect(lotRow('CASH-4')).toMatchObject({ status: 'lot_only', channel: 'cash' });
    expect(lotRow('CP-5a')).toMatchObject({ status: 'lot_only' });
    expect(lotRow(PW(77))).toMatchObject({ status: 'missing_ours' });
  });
});

describe('their records as our payments', () => {
  const face = (o: Record<string, unknown>) => ({
    parkNumber: 'P',
    orderId: '27',
    plate: '粤B12345',
    provider: 'wechat' as const,
    paymentNo: FP(1),
    status: 'paid',
    payment: { paidFen: 1250, paidAt: T },
    ...o,
  });

  it('booth payments: paid ones; reversed ones as given back; nothing taken, nothing of ours', () => {
    const out = facePaymentsAsOurs([
      face({}),
      face({ paymentNo: FP(2), provider: 'alipay', status: 'cancelled', cancel: { refunded: true } }),
      face({ paymentNo: FP(3), status: 'cancelling' }),
      face({ paymentNo: FP(4), status: 'cancelled', cancel: { refunded: false } }),
      face({ paymentNo: FP(5), status: 'waiting', payment: undefined }),
      face({ paymentNo: FP(6), status: 'failed', payment: undefined }),
    ]);
    expect(out.map((p) => [p.ref, p.kind, p.channel, p.amountFen, p.refundedFen])).toEqual([
      [FP(1), 'face_to_face', 'wechat', 1250, 0],
      [FP(2), 'face_to_face', 'alipay', 1250, 1250],
      [FP(3), 'face_to_face', 'wechat', 1250, 1250],
    ]);
    expect(out[0]).toMatchObject({ orderId: '27', plate: '粤B12345', paidAt: T, expectAtLot: true, parkNumber: 'P' });
    expect(out[0]!.numberedAtLot).not.toBe(false);
  });

  const deduction = (o: Record<string, unknown>) => ({
    parkNumber: 'p_demo_001',
    outTradeNo: 'p_demo_001_2_1042_101500',
    plate: '京A00001',
    amountFen: 500,
    via: '4.16',
    state: 'paid',
    attempt: { tradeNo: PW(1), provider: 'wechat' as const },
    paidFen: 500,
    paidAt: T,
    ...o,
  });

  it('deductions: paid ones, with the stay read from the outTradeNo; 4.27 ones found by the stay; refunds started or done as given back', () => {
    const out = deductionsAsOurs([
      deduction({}),
      deduction({ via: '4.27', attempt: { tradeNo: PW(2), provider: 'alipay' } }),
      deduction({ via: '4.27', collectedVia: '4.16', attempt: { tradeNo: PW(3), provider: 'wechat' } }),
      deduction({ via: '4.27', attempt: { tradeNo: PW(4), provider: 'wechat' }, refund: { state: 'refunded', amountFen: 500 } }),
      deduction({ attempt: { tradeNo: PW(5), provider: 'wechat' }, refund: { state: 'refunding', amountFen: 500 } }),
      deduction({ attempt: { tradeNo: PW(6), provider: 'wechat' }, refund: { state: 'failed', amountFen: 500 } }),
      deduction({ state: 'accepted', attempt: { tradeNo: PW(7), provider: 'wechat' }, paidAt: undefined }),
      deduction({ state: 'failed', attempt: { tradeNo: PW(8), provider: 'wechat' }, paidAt: undefined }),
    ]);
    expect(out.map((p) => [p.ref, p.channel, p.amountFen, p.refundedFen, p.numberedAtLot])).toEqual([
      [PW(1), 'wechat', 500, 0, true],
      [PW(2), 'alipay', 500, 0, false],
      [PW(3), 'wechat', 500, 0, true],
      [PW(4), 'wechat', 500, 500, false],
      [PW(5), 'wechat', 500, 500, true],
      [PW(6), 'wechat', 500, 0, true],
    ]);
    expect(out[0]).toMatchObject({ kind: 'withholding', orderId: '1042', plate: '京A00001', paidAt: T, expectAtLot: true });
  });
});

/** The join of our payments with the lot's records, and the CSV, without a database. */
import { chinaDay, channelOfPayKind, matchPayments, mergeLotRecords } from '../../../../server/src/core/reconciliation/daily';
import { csvText, reconciliationCsv } from '../../../../server/src/core/reconciliation/csv';
import type { DailyReconciliation, LotChargeRecord, OurPayment } from '../../../../server/src/core/reconciliation/model';

const T = new Date('2026-11-29T02:00:00Z'); // 10:00 China time
const ours = (ref: string, o: Partial<OurPayment> = {}): OurPayment => ({
  ref,
  kind: 'prepay',
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
  payKind: '微信',
  payChannel: '提前付',
  ...o,
});
const REF = (n: number) => `PP261129100000ABCDEF${String(n).padStart(2, '0')}`;

describe('matching', () => {
  it('monthly passes: ours online are not for the lot; the booth’s (4.31) are its own; a 4.31 naming our number is that payment', () => {
    const renewal = (payNo: string, o: Partial<LotChargeRecord> = {}) => lot(payNo, { source: '4.31', orderId: '', payKind: '现金', payChannel: '固定车续费', amountFen: 30_000, ...o });
    const rows = matchPayments(
      [ours(REF(1), { kind: 'pass', orderId: REF(1), expectAtLot: false, amountFen: 85_000 }), ours(REF(2), { kind: 'pass', orderId: REF(2), expectAtLot: false, amountFen: 30_000 })],
      [renewal('RN0001'), renewal('RN0002', { plate: '京A1/京A2' }), renewal(REF(2), { payKind: '微信' })],
      () => false,
    );
    const by = (ref: string) => rows.find((r) => r.ours?.ref === ref || r.lot?.payNo === ref)!;
    expect(by(REF(1))).toMatchObject({ status: 'not_for_lot', takingsFen: 85_000 });
    expect(by(REF(2))).toMatchObject({ status: 'matched', takingsFen: 30_000, lot: { sources: ['4.31'] } });
    expect(by('RN0001')).toMatchObject({ status: 'lot_only', channel: 'cash', takingsFen: 30_000 });
    expect(by('RN0002')).toMatchObject({ status: 'lot_only', plate: '京A1/京A2', takingsFen: 30_000 });
    expect(rows).toHaveLength(4);
  });

  it('every case lands in its status, with the difference and the money kept', () => {
    const rows = matchPayments(
      [
        ours(REF(1)),
        ours(REF(2), { amountFen: 600 }),
        ours(REF(3), { orderId: 'gone' }),
        ours(REF(4), { orderId: 'still-in' }),
        ours(REF(5), { refundedFen: 400 }),
        ours(REF(6), { refundedFen: 400 }),
        ours(REF(7), { kind: 'booking', expectAtLot: false, amountFen: 1000, refundedFen: 200 }),
        ours(REF(8), { orderId: 'no-payno', channel: 'alipay' }),
      ],
      [
        lot(REF(1)),
        lot(REF(2), { amountFen: 500 }),
        lot(REF(6)),
        lot(REF(9)), // our number, no payment of ours
        lot('CASH0001', { payKind: '现金', payChannel: '中央收费', amountFen: 1200, orderId: 'x' }),
        lot('', { source: '4.15', orderId: 'no-payno', payKind: '支付宝', payChannel: '提前付' }),
      ],
      (orderId) => orderId === 'gone',
    );
    const by = (ref: string) => rows.find((r) => r.ours?.ref === ref || r.lot?.payNo === ref)!;
    expect(by(REF(1))).toMatchObject({ status: 'matched', differenceFen: 0, takingsFen: 400 });
    expect(by(REF(2))).toMatchObject({ status: 'amount_differs', differenceFen: -100, takingsFen: 600 });
    expect(by(REF(3))).toMatchObject({ status: 'missing_at_lot' });
    expect(by(REF(4))).toMatchObject({ status: 'awaiting_lot' });
    expect(by(REF(5))).toMatchObject({ status: 'refunded', takingsFen: 0 });
    expect(by(REF(6))).toMatchObject({ status: 'refunded_but_at_lot', takingsFen: 0 });
    expect(by(REF(7))).toMatchObject({ status: 'not_for_lot', takingsFen: 800 });
    expect(by(REF(8))).toMatchObject({ status: 'matched', channel: 'alipay', lot: { sources: ['4.15'] } });
    expect(by(REF(9))).toMatchObject({ status: 'missing_ours', differenceFen: 400, takingsFen: 0 });
    expect(by('CASH0001')).toMatchObject({ status: 'lot_only', channel: 'cash', takingsFen: 1200 });
    expect(rows).toHaveLength(10);
  });

  it('lot numbers of ours (PP, PQ orders; FP booth payments; PW deductions) without a payment of ours are differences; others are the lot’s own', () => {
    const rows = matchPayments(
      [],
      [lot('PQ261129100000ABCDEFGH'), lot('FP261129100000ABCDEFGH'), lot('PW261129100000ABCDEFGH'), lot('PP2611291000'), lot('CPp_demo_001_2_7_101500')],
      () => true,
    );
    expect(rows.map((r) => [r.lot!.payNo, r.status])).toEqual([
      ['PQ261129100000ABCDEFGH', 'missing_ours'],
      ['FP261129100000ABCDEFGH', 'missing_ours'],
      ['PW261129100000ABCDEFGH', 'missing_ours'],
      ['PP2611291000', 'lot_only'],
      ['CPp_demo_001_2_7_101500', 'lot_only'],
    ]);
  });

  it('a payment in both the exit record (4.3) and a charge upload (4.15) is one lot record', () => {
    const merged = mergeLotRecords([
      lot('A'),
      lot('A', { source: '4.15' }),
      lot('', { source: '4.15', orderId: 'stay-B', amountFen: 300, payKind: '现金' }),
      lot('B', { orderId: 'stay-B', amountFen: 300, payKind: '现金' }),
      lot('', { source: '4.15', orderId: 'stay-C', amountFen: 300 }),
    ]);
    expect(merged.map((m) => [m.payNo, m.sources])).toEqual([
      ['A', ['4.3', '4.15']],
      ['B', ['4.3', '4.15']],
      ['', ['4.15']],
    ]);
  });

  it('reads the lot’s payKinds and China days', () => {
    expect(['微信', '微信支付', '支付宝', '现金', '银联', '公交卡', '待缴'].map(channelOfPayKind)).toEqual(['wechat', 'wechat', 'alipay', 'cash', 'unionpay', 'transit_card', 'other']);
    expect(chinaDay('2026-11-29')).toEqual({ from: new Date('2026-11-28T16:00:00Z'), to: new Date('2026-11-29T16:00:00Z') });
    expect(() => chinaDay('2026-13-01')).toThrow(expect.objectContaining({ code: 'invalid_date' }));
    expect(() => chinaDay('yesterday')).toThrow(expect.objectContaining({ code: 'invalid_date' }));
  });
});

describe('CSV', () => {
  it('has a Chinese header, one line per row in Chinese (results, channels, kinds), yuan, China time, quoting and formula defusing', () => {
    const rows = matchPayments([ours(REF(1), { plate: '京A,1"2' }), ours(REF(2), { amountFen: 600 })], [lot(REF(1)), lot(REF(2), { amountFen: 500 }), lot('=HYPERLINK("x")', { payKind: '现金' })], () => true);
    const report = { date: '2026-11-29', rows } as DailyReconciliation;
    const csv = reconciliationCsv(report);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(lines[0]).toBe('日期,对账结果,渠道,车牌,车场停车记录号,本系统单号,收款方式,本系统收款时间,本系统金额（元）,本系统退款（元）,车场流水号,车场上报来源,车场时间,车场支付方式,车场支付渠道,车场金额（元）,差额（元，车场减本系统）');
    // No English machine words anywhere: results, channels, kinds and sources are written in Chinese.
    expect(csv).not.toMatch(/matched|amount_differs|lot_only|wechat|prepay|4\.3|4\.15/);
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.includes(REF(1)))).toMatch(/^2026-11-29,一致,微信,/);
    expect(lines.find((l) => l.includes(REF(1)))).toContain(',场内预付,');
    expect(lines.find((l) => l.includes(REF(2)))).toMatch(/^2026-11-29,金额不一致,微信,/);
    expect(lines.find((l) => l.includes('HYPERLINK'))).toMatch(/^2026-11-29,车场自收,现金,/);
    expect(lines[1]).toContain('"京A,1""2"');
    expect(lines[1]).toContain('2026-11-29 10:00:00');
    expect(lines.find((l) => l.includes(REF(2)))).toMatch(/,6\.00,0\.00,.*,5\.00,-1\.00$/);
    expect(lines.find((l) => l.includes('HYPERLINK'))).toContain(`"'=HYPERLINK(""x"")"`);
    expect(csvText('-1+1')).toBe("'-1+1");
    expect(csvText('京A12345')).toBe('京A12345');
  });
});

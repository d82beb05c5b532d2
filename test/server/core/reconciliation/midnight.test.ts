/**
 * Which day a payment belongs to, for stays over midnight (China time): the day the money was taken —
 * our paidAt for our payments, with the lot's record of it whatever date the lot put on it; the lot's own
 * pay time (else exit time) only for what the lot took alone. Without a database: the sources answer by
 * time window like the repository, and by stay or number whatever the date.
 */
import { ReconciliationService } from '../../../../server/src/core/reconciliation/daily';
import type { LotChargeRecord, OurPayment, ReconciliationSources } from '../../../../server/src/core/reconciliation/model';
import type { Park } from '../../../../server/src/core/parks';

const P = 'P1';
/** China time → instant. */
const cn = (s: string) => new Date(`${s}+08:00`);
const REF = (n: number) => `PP261128235000ABCDEF${String(n).padStart(2, '0')}`;

const ours = (ref: string, paidAt: string, o: Partial<OurPayment> = {}): OurPayment => ({
  ref,
  kind: 'prepay',
  parkNumber: P,
  orderId: `stay-${ref}`,
  plate: '京A12345',
  channel: 'wechat',
  amountFen: 800,
  refundedFen: 0,
  paidAt: cn(paidAt),
  expectAtLot: true,
  ...o,
});
const lotLine = (payNo: string, at: string | null, o: Partial<LotChargeRecord> = {}): LotChargeRecord => ({
  source: '4.3',
  payNo,
  orderId: `stay-${payNo}`,
  plate: '京A12345',
  at: at ? cn(at) : null,
  amountFen: 800,
  payKind: '微信',
  payChannel: '提前付',
  ...o,
});

/** What the repository answers, from fixed records. */
class Sources implements ReconciliationSources {
  constructor(
    private readonly ours: OurPayment[],
    private readonly lot: LotChargeRecord[],
    private readonly left = new Set<string>(),
  ) {}
  async ourPayments(_p: string, from: Date, to: Date) {
    return this.ours.filter((x) => x.paidAt >= from && x.paidAt < to);
  }
  async ourPaymentsByRef(_p: string, refs: string[]) {
    return this.ours.filter((x) => refs.includes(x.ref));
  }
  async lotExitCharges(_p: string, from: Date, to: Date) {
    return this.lot.filter((r) => r.source === '4.3' && r.at && r.at >= from && r.at < to);
  }
  async lotUploadedCharges(_p: string, from: Date, to: Date) {
    return this.lot.filter((r) => r.source === '4.15' && r.at && r.at >= from && r.at < to);
  }
  async lotRenewals(_p: string, from: Date, to: Date) {
    return this.lot.filter((r) => r.source === '4.31' && r.at && r.at >= from && r.at < to);
  }
  async lotChargesOfStays(_p: string, orderIds: string[]) {
    return this.lot.filter((r) => orderIds.includes(r.orderId));
  }
  async stayStatus(_p: string, orderIds: string[]) {
    return new Map(orderIds.map((id) => [id, this.left.has(id) || this.lot.some((r) => r.orderId === id) ? ('out' as const) : ('in' as const)]));
  }
}

function service(o: OurPayment[], l: LotChargeRecord[], left?: Set<string>) {
  const park: Park = { parkNumber: P, key: 'k', bluecardBaseUrl: 'http://x' };
  return new ReconciliationService({ sources: new Sources(o, l, left), parks: { get: async (n) => (n === P ? park : undefined) }, clock: { now: () => Date.now() } });
}

const summary = async (s: ReconciliationService, date: string) => {
  const r = await s.daily(P, date);
  return r.rows.map((x) => [x.status, x.ours?.ref ?? x.lot?.payNo ?? '']);
};

describe('which day a payment belongs to', () => {
  it('paid in the app at 23:50, the lot records it at the exit at 00:10: matched on the day it was paid, not counted the next day', async () => {
    const s = service([ours(REF(1), '2026-11-28T23:50:00')], [lotLine(REF(1), '2026-11-29T00:10:00')]);
    expect(await summary(s, '2026-11-28')).toEqual([['matched', REF(1)]]);
    expect(await summary(s, '2026-11-29')).toEqual([]);
  });

  it('the lot’s clock runs ten hours ahead (its record says the next morning): still the same payment, on the day it was paid', async () => {
    const s = service([ours(REF(2), '2026-11-28T21:00:00')], [lotLine(REF(2), '2026-11-29T07:00:00')]);
    // Before this rule: 车场缺少 on the 28th and 本系统缺少 on the 29th.
    expect(await summary(s, '2026-11-28')).toEqual([['matched', REF(2)]]);
    expect(await summary(s, '2026-11-29')).toEqual([]);
    const chart = await s.takings(P, '2026-11-28', '2026-11-29');
    expect(chart.map((d) => [d.date, d.totalFen])).toEqual([
      ['2026-11-28', 800],
      ['2026-11-29', 0],
    ]);
  });

  it('the lot’s clock runs behind (its record says 23:59 the day before): the payment of 00:02 is the next day’s', async () => {
    const s = service([ours(REF(3), '2026-11-29T00:02:00')], [lotLine(REF(3), '2026-11-28T23:59:00')]);
    expect(await summary(s, '2026-11-28')).toEqual([]);
    expect(await summary(s, '2026-11-29')).toEqual([['matched', REF(3)]]);
  });

  it('a line without a pay time is matched by its number (the repository gives it the exit time), however late the exit', async () => {
    const s = service([ours(REF(4), '2026-11-28T18:00:00')], [lotLine(REF(4), '2026-11-30T01:00:00')]);
    expect(await summary(s, '2026-11-28')).toEqual([['matched', REF(4)]]);
    expect(await summary(s, '2026-11-30')).toEqual([]);
  });

  it('cash at the booth at 00:05 for a stay that came in the evening is the takings of the day it was paid', async () => {
    const cash = lotLine('CASH-1', '2026-11-29T00:05:00', { orderId: 'stay-evening', payKind: '现金', payChannel: '岗亭', amountFen: 1200 });
    const s = service([], [cash]);
    expect(await summary(s, '2026-11-28')).toEqual([]);
    expect(await summary(s, '2026-11-29')).toEqual([['lot_only', 'CASH-1']]);
  });

  it('a lane deduction (no number of ours at the lot) at 23:59:30, the lot’s record at 00:00:10: matched by the stay on the day it was paid', async () => {
    const d = ours('PW261128235930ABCDEF01', '2026-11-28T23:59:30', { kind: 'withholding', numberedAtLot: false, orderId: 'stay-w' });
    const rec = lotLine('', '2026-11-29T00:00:10', { orderId: 'stay-w', payKind: '微信', payChannel: '无感支付' });
    const s = service([d], [rec]);
    expect(await summary(s, '2026-11-28')).toEqual([['matched', d.ref]]);
    expect(await summary(s, '2026-11-29')).toEqual([]);
  });

  it('a car in since 22:50 pays by Alipay at 23:58; the lot’s upload (4.15) and exit record (4.3) come after midnight: one row with both, on the day paid', async () => {
    const stay = { orderId: 'stay-evening-ali' };
    const p = ours(REF(6), '2026-11-28T23:58:00', { channel: 'alipay', ...stay });
    const upload = lotLine(REF(6), '2026-11-29T00:03:00', { source: '4.15', payKind: '支付宝', ...stay });
    const exit = lotLine(REF(6), '2026-11-29T00:05:00', { payKind: '支付宝', ...stay });
    const s = service([p], [upload, exit]);
    const day = await s.daily(P, '2026-11-28');
    expect(day.rows).toHaveLength(1);
    expect(day.rows[0]).toMatchObject({ status: 'matched', channel: 'alipay', ours: { ref: REF(6) }, lot: { sources: ['4.3', '4.15'] } });
    expect(day.summary.takings.byChannel.alipay).toBe(800);
    expect(await summary(s, '2026-11-29')).toEqual([]);
  });

  it('a car in since 22:50 pays at 00:40: the payment is the new day’s, whatever day the stay began', async () => {
    const stay = { orderId: 'stay-evening-2' };
    const s = service([ours(REF(7), '2026-11-29T00:40:00', { channel: 'alipay', ...stay })], [lotLine(REF(7), '2026-11-29T00:45:00', { payKind: '支付宝', ...stay })]);
    expect(await summary(s, '2026-11-28')).toEqual([]);
    expect(await summary(s, '2026-11-29')).toEqual([['matched', REF(7)]]);
  });

  it('the car left and the lot never counted the payment: 车场缺少 on the day it was paid, nowhere else', async () => {
    const s = service([ours(REF(5), '2026-11-28T23:55:00')], [], new Set([`stay-${REF(5)}`]));
    expect(await summary(s, '2026-11-28')).toEqual([['missing_at_lot', REF(5)]]);
    expect(await summary(s, '2026-11-29')).toEqual([]);
  });
});

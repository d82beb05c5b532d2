/**
 * The daily reconciliation and the takings chart (model.ts says what is compared).
 *
 * Which day a payment belongs to — the rule that holds for stays over midnight: the China day on which the
 * money was taken. For our payments that is their paidAt (our clock). The lot's record of the same money
 * goes with it whatever date the lot put on it: the lot writes its own clock's pay or exit time, and a car
 * that paid at 23:50 and left at 00:10, or a lot whose clock runs ahead, gives the next day's date — that is
 * still the payment of the day before, matched there, and counted on no other day. Only what the lot took
 * alone (cash at the booth, a payment of ours we have no record of) is put in the day of the lot's own pay
 * time (else its exit time).
 *
 * So matching never depends on the lot's dates: both sides are read for the day with a margin either side,
 * then the lot's records of every stay our payments were for are read whatever their date, and our payments
 * that the lot's records name by number are read whenever they were paid. Rows are joined in memory (model.ts)
 * and each row is put in its day as above, so a payment is never in two days nor missing from its own.
 */
import { formatChinaDate, parseChinaTime } from '../../../../shared/time';
import type { Clock } from '../clock';
import { ReconciliationError } from './errors';
import type { ParkDirectory } from '../parks';
import {
  CHANNELS,
  DIFFERENCES,
  type Channel,
  type ChannelTotals,
  type DailyReconciliation,
  type LotChargeRecord,
  type LotSide,
  type OurPayment,
  type ReconciliationSources,
  type ReconRow,
  type RowStatus,
  type TakingsDay,
} from './model';

const DAY = 24 * 60 * 60_000;
/** How far either side of a day the two sides are read (settlement and payment times may straddle midnight). */
export const MARGIN_MS = 6 * 60 * 60_000;
/** The longest takings chart. */
export const MAX_CHART_DAYS = 92;

/** The lot's payKind (现金/微信/支付宝/银联/公交卡…) as a channel. */
export function channelOfPayKind(payKind: string): Channel {
  const k = payKind.replace(/\s/g, '');
  if (/微信|wechat|weixin/i.test(k)) return 'wechat';
  if (/支付宝|alipay/i.test(k)) return 'alipay';
  if (/现金|cash/i.test(k)) return 'cash';
  if (/银联|unionpay/i.test(k)) return 'unionpay';
  if (/公交卡|交通卡/.test(k)) return 'transit_card';
  return 'other';
}

/**
 * Our numbers, all read by ourPayments: PP (core/orders newOrderNo), PQ (lane QR orders, core/lanepay/lane-qr),
 * FP (booth payments, core/lanepay/face-to-face newPaymentNo) and PW (withholding deductions,
 * core/lanepay/lane-deductions newDeductionNo), each + China yyMMddHHmmss + 8. A lot payNo like this with no
 * payment of ours is a difference.
 */
export const OUR_REF = /^(?:P[PQW]|FP)\d{12}[0-9A-Z]{8}$/;

/** A China date's [start, end). */
export function chinaDay(date: string): { from: Date; to: Date } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new ReconciliationError('invalid_date', `${date} is not a date (yyyy-MM-dd)`);
  let from: Date;
  try {
    from = parseChinaTime(`${date} 00:00:00`);
  } catch {
    throw new ReconciliationError('invalid_date', `${date} is not a date`);
  }
  return { from, to: new Date(from.getTime() + DAY) };
}

/** 4.3 lines and 4.15 uploads of the same payment (same payNo, or same stay/amount/kind without one) as one. */
export function mergeLotRecords(records: LotChargeRecord[]): LotEntry[] {
  const byPayNo = new Map<string, LotEntry>();
  const loose: LotEntry[] = [];
  // 4.3 first: the exit record is the lot's account of the stay; a 4.15 upload of the same payment joins it.
  const sorted = [...records].sort((a, b) => (a.source === b.source ? 0 : a.source === '4.3' ? -1 : 1));
  for (const r of sorted) {
    const side = { payNo: r.payNo, sources: [r.source], at: r.at, amountFen: r.amountFen, payKind: r.payKind, payChannel: r.payChannel, orderId: r.orderId, plate: r.plate };
    if (r.payNo) {
      const seen = byPayNo.get(r.payNo);
      if (seen) {
        if (!seen.sources.includes(r.source)) seen.sources.push(r.source);
        continue;
      }
      byPayNo.set(r.payNo, side);
      continue;
    }
    const twin = [...byPayNo.values(), ...loose].find(
      (s) => !s.sources.includes(r.source) && s.orderId === r.orderId && s.amountFen === r.amountFen && channelOfPayKind(s.payKind) === channelOfPayKind(r.payKind),
    );
    if (twin) twin.sources.push(r.source);
    else loose.push(side);
  }
  return [...byPayNo.values(), ...loose];
}

/** The records of `a` and those of `b` that `a` does not have (the same report line read twice is one). */
export function unionOfRecords(a: LotChargeRecord[], b: LotChargeRecord[]): LotChargeRecord[] {
  const key = (r: LotChargeRecord) => [r.source, r.orderId, r.payNo, r.amountFen, r.at?.getTime() ?? '', r.payKind].join('|');
  const seen = new Set(a.map(key));
  const out = [...a];
  for (const r of b) {
    const k = key(r);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(r);
  }
  return out;
}

/** One payment as the lot reports it, with its stay. */
export type LotEntry = LotSide & { orderId: string; plate: string };

/**
 * Join our payments with the lot's records. `stayOut(orderId)`: whether the stay has left (an exit record
 * reached us) — a payment the lot has not reported is only missing once the car has gone.
 */
export function matchPayments(ours: OurPayment[], lotRecords: LotChargeRecord[], stayOut: (orderId: string) => boolean): ReconRow[] {
  const lot = mergeLotRecords(lotRecords);
  const lotByPayNo = new Map(lot.filter((l) => l.payNo).map((l) => [l.payNo, l]));
  const used = new Set<LotEntry>();
  const matched = new Map<OurPayment, LotEntry>();
  const take = (p: OurPayment, l: LotEntry | undefined) => {
    if (!l) return;
    used.add(l);
    matched.set(p, l);
  };

  for (const p of ours) {
    let l = lotByPayNo.get(p.ref);
    if (l && used.has(l)) l = undefined;
    // A lot record without a payNo: the same stay, amount and channel.
    l ??= lot.find((x) => !used.has(x) && !x.payNo && x.orderId === p.orderId && x.amountFen === p.amountFen && channelOfPayKind(x.payKind) === p.channel);
    take(p, l);
  }
  // Payments the lot has no number of ours for (4.27): its record of the stay that carries none of our
  // numbers, in our channel or one it does not name — the same amount first, else the only such record (so
  // an amount the lot got wrong is still found as a difference, not as two unrelated rows).
  for (const p of ours) {
    if (p.numberedAtLot !== false || matched.has(p) || !p.orderId) continue;
    const candidates = lot.filter(
      (x) => !used.has(x) && x.orderId === p.orderId && !OUR_REF.test(x.payNo) && [p.channel, 'other'].includes(channelOfPayKind(x.payKind)),
    );
    take(p, candidates.find((x) => x.amountFen === p.amountFen) ?? (candidates.length === 1 ? candidates[0] : undefined));
  }

  const rows: ReconRow[] = [];
  for (const p of ours) {
    const l = matched.get(p);
    const fullyRefunded = p.refundedFen >= p.amountFen;
    const net = Math.max(0, p.amountFen - p.refundedFen);
    let status: RowStatus;
    if (l) status = fullyRefunded ? 'refunded_but_at_lot' : l.amountFen === p.amountFen ? 'matched' : 'amount_differs';
    else if (fullyRefunded) status = 'refunded';
    else if (!p.expectAtLot) status = 'not_for_lot';
    else status = stayOut(p.orderId) ? 'missing_at_lot' : 'awaiting_lot';
    rows.push({
      status,
      channel: p.channel,
      plate: p.plate,
      orderId: p.orderId,
      at: p.paidAt,
      ours: { ref: p.ref, kind: p.kind, amountFen: p.amountFen, refundedFen: p.refundedFen, paidAt: p.paidAt },
      lot: l ? strip(l) : undefined,
      differenceFen: l ? l.amountFen - p.amountFen : 0,
      // Money kept: a refund the lot still counts is a difference, not takings.
      takingsFen: net,
    });
  }

  for (const l of lot) {
    if (used.has(l)) continue;
    const ours = OUR_REF.test(l.payNo);
    rows.push({
      status: ours ? 'missing_ours' : 'lot_only',
      channel: channelOfPayKind(l.payKind),
      plate: l.plate,
      orderId: l.orderId,
      at: l.at,
      lot: strip(l),
      differenceFen: ours ? l.amountFen : 0,
      // Money with our number we never took is not takings of ours; the lot's own is.
      takingsFen: ours ? 0 : l.amountFen,
    });
  }
  return rows.sort((a, b) => (a.at?.getTime() ?? 0) - (b.at?.getTime() ?? 0));
}

function strip(l: LotEntry): LotSide {
  return { payNo: l.payNo, sources: l.sources, at: l.at, amountFen: l.amountFen, payKind: l.payKind, payChannel: l.payChannel };
}

const emptyByChannel = (): Record<Channel, number> => Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>;

function totals(items: { channel: Channel; fen: number }[]): ChannelTotals {
  const byChannel = emptyByChannel();
  let totalFen = 0;
  for (const i of items) {
    byChannel[i.channel] += i.fen;
    totalFen += i.fen;
  }
  return { totalFen, byChannel };
}

export interface ReconciliationServiceDeps {
  sources: ReconciliationSources;
  parks: ParkDirectory;
  clock: Clock;
}

export class ReconciliationService {
  constructor(private readonly deps: ReconciliationServiceDeps) {}

  private async park(parkNumber: string): Promise<void> {
    if (!(await this.deps.parks.get(parkNumber))) throw new ReconciliationError('park_unknown', `park ${parkNumber} is not served by ParkPay`);
  }

  /**
   * Read both sides over [from − margin, to + margin), then what belongs to them whatever its date (the
   * lot's records of our payments' stays, our payments the lot's records name), and join them.
   */
  private async rows(parkNumber: string, from: Date, to: Date): Promise<ReconRow[]> {
    const a = new Date(from.getTime() - MARGIN_MS);
    const b = new Date(to.getTime() + MARGIN_MS);
    const [windowOurs, exits, uploads, renewals] = await Promise.all([
      this.deps.sources.ourPayments(parkNumber, a, b),
      this.deps.sources.lotExitCharges(parkNumber, a, b),
      this.deps.sources.lotUploadedCharges(parkNumber, a, b),
      this.deps.sources.lotRenewals(parkNumber, a, b),
    ]);
    const stayIds = [...new Set(windowOurs.filter((p) => p.expectAtLot && p.orderId).map((p) => p.orderId))];
    const known = new Set(windowOurs.map((p) => p.ref));
    const named = [...new Set([...exits, ...uploads, ...renewals].map((r) => r.payNo).filter((n) => OUR_REF.test(n) && !known.has(n)))];
    const [ofStays, elsewhere] = await Promise.all([
      stayIds.length ? this.deps.sources.lotChargesOfStays(parkNumber, stayIds) : Promise.resolve([]),
      named.length ? this.deps.sources.ourPaymentsByRef(parkNumber, named) : Promise.resolve([]),
    ]);
    const ours = [...windowOurs, ...elsewhere.filter((p) => !known.has(p.ref))];
    const lot = unionOfRecords([...exits, ...uploads, ...renewals], ofStays);
    const unreported = ours.filter((p) => p.expectAtLot).map((p) => p.orderId);
    const stays = await this.deps.sources.stayStatus(parkNumber, [...new Set(unreported)]);
    return matchPayments(ours, lot, (orderId) => stays.get(orderId) === 'out');
  }

  /** One China day of a park: every payment of either side with what became of it, and the totals. */
  async daily(parkNumber: string, date: string): Promise<DailyReconciliation> {
    await this.park(parkNumber);
    const { from, to } = chinaDay(date);
    const inDay = (r: ReconRow) => r.at !== null && r.at >= from && r.at < to;
    const rows = (await this.rows(parkNumber, from, to)).filter(inDay);
    const counts = Object.fromEntries(
      (['matched', 'amount_differs', 'missing_at_lot', 'awaiting_lot', 'missing_ours', 'lot_only', 'refunded', 'refunded_but_at_lot', 'not_for_lot'] as RowStatus[]).map((s) => [s, 0]),
    ) as Record<RowStatus, number>;
    for (const r of rows) counts[r.status]++;
    const ours = rows.filter((r) => r.ours);
    const online = ours.filter((r) => r.ours!.kind === 'pass');
    const booth = rows.filter((r) => !r.ours && r.lot?.sources.includes('4.31'));
    return {
      parkNumber,
      date,
      from,
      to,
      generatedAt: new Date(this.deps.clock.now()),
      rows,
      summary: {
        counts,
        differences: rows.filter((r) => DIFFERENCES.includes(r.status)).length,
        ours: { ...totals(ours.map((r) => ({ channel: r.channel, fen: r.ours!.amountFen }))), refundedFen: ours.reduce((s, r) => s + r.ours!.refundedFen, 0) },
        lot: totals(rows.filter((r) => r.lot).map((r) => ({ channel: channelOfPayKind(r.lot!.payKind), fen: r.lot!.amountFen }))),
        takings: totals(rows.map((r) => ({ channel: r.channel, fen: r.takingsFen }))),
        passes: {
          online: {
            count: online.length,
            fen: online.reduce((s, r) => s + r.ours!.amountFen, 0),
            refundedFen: online.reduce((s, r) => s + r.ours!.refundedFen, 0),
          },
          booth: { count: booth.length, fen: booth.reduce((s, r) => s + r.lot!.amountFen, 0) },
        },
      },
    };
  }

  /** Takings by channel for each China day from `fromDate` to `toDate` (inclusive): what the chart draws. */
  async takings(parkNumber: string, fromDate: string, toDate: string): Promise<TakingsDay[]> {
    await this.park(parkNumber);
    const { from } = chinaDay(fromDate);
    const { to } = chinaDay(toDate);
    const days = Math.round((to.getTime() - from.getTime()) / DAY);
    if (days < 1) throw new ReconciliationError('invalid_range', 'from must not be after to');
    if (days > MAX_CHART_DAYS) throw new ReconciliationError('invalid_range', `at most ${MAX_CHART_DAYS} days at a time`);
    const out = new Map<string, TakingsDay>();
    for (let i = 0; i < days; i++) {
      const date = formatChinaDate(from.getTime() + i * DAY);
      out.set(date, { date, totalFen: 0, byChannel: emptyByChannel() });
    }
    for (const r of await this.rows(parkNumber, from, to)) {
      if (!r.at || r.at < from || r.at >= to || r.takingsFen === 0) continue;
      const d = out.get(formatChinaDate(r.at))!;
      d.byChannel[r.channel] += r.takingsFen;
      d.totalFen += r.takingsFen;
    }
    return [...out.values()];
  }
}

/**
 * The daily reconciliation as CSV for a spreadsheet: UTF-8 with a BOM (so Excel reads the Chinese), CRLF
 * line ends, RFC 4180 quoting, amounts in yuan ("12.00", differences signed), times in China time. Text
 * that a spreadsheet would run as a formula (=, +, -, @ first) is prefixed with ' (CSV injection).
 */
import { fenToYuan } from '../../../../shared/money';
import { formatChinaTime } from '../../../../shared/time';
import type { DailyReconciliation } from './model';

const COLUMNS = [
  'date',
  'status',
  'channel',
  'plate',
  'stay_order_id',
  'our_ref',
  'our_kind',
  'our_paid_at',
  'our_amount',
  'our_refunded',
  'lot_pay_no',
  'lot_reports',
  'lot_time',
  'lot_pay_kind',
  'lot_pay_channel',
  'lot_amount',
  'difference',
] as const;

const signedYuan = (fen: number) => (fen < 0 ? `-${fenToYuan(-fen)}` : fenToYuan(fen));

/** One text field, quoted when needed, defused when a spreadsheet would read it as a formula. */
export function csvText(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reconciliationCsv(r: DailyReconciliation): string {
  const lines = [COLUMNS.join(',')];
  for (const row of r.rows) {
    const t = (d: Date | null | undefined) => (d ? formatChinaTime(d) : '');
    lines.push(
      [
        r.date,
        row.status,
        row.channel,
        csvText(row.plate),
        csvText(row.orderId),
        csvText(row.ours?.ref ?? ''),
        csvText(row.ours?.kind ?? ''),
        t(row.ours?.paidAt),
        row.ours ? fenToYuan(row.ours.amountFen) : '',
        row.ours ? fenToYuan(row.ours.refundedFen) : '',
        csvText(row.lot?.payNo ?? ''),
        row.lot ? row.lot.sources.join('+') : '',
        t(row.lot?.at),
        csvText(row.lot?.payKind ?? ''),
        csvText(row.lot?.payChannel ?? ''),
        row.lot ? fenToYuan(row.lot.amountFen) : '',
        signedYuan(row.differenceFen),
      ].join(','),
    );
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

/**
 * The daily reconciliation as CSV for a spreadsheet, in Chinese (headers, results, channels, kinds): UTF-8
 * with a BOM (so Excel reads the Chinese), CRLF line ends, RFC 4180 quoting, amounts in yuan ("12.00",
 * differences signed), times in China time. Text that a spreadsheet would run as a formula (=, +, -, @
 * first) is prefixed with ' (CSV injection).
 */
import { fenToYuan } from '../../../../shared/money';
import { formatChinaTime } from '../../../../shared/time';
import { RECON_CHANNEL_TEXT as CHANNEL_TEXT, RECON_KIND_TEXT as KIND_TEXT, RECON_STATUS_TEXT as STATUS_TEXT } from '../../../../shared/api/op-reconciliation';
import type { DailyReconciliation } from './model';

/** The columns, as a spreadsheet user reads them (amounts in yuan). */
export const COLUMNS = [
  '日期',
  '对账结果',
  '渠道',
  '车牌',
  '车场停车记录号',
  '本系统单号',
  '收款方式',
  '本系统收款时间',
  '本系统金额（元）',
  '本系统退款（元）',
  '车场流水号',
  '车场上报来源',
  '车场时间',
  '车场支付方式',
  '车场支付渠道',
  '车场金额（元）',
  '差额（元，车场减本系统）',
] as const;

/** Which of the lot's reports carried the record. */
const SOURCE_TEXT: Record<string, string> = { '4.3': '出场记录', '4.15': '收费记录', '4.31': '固定车续费' };

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
        STATUS_TEXT[row.status],
        CHANNEL_TEXT[row.channel],
        csvText(row.plate),
        csvText(row.orderId),
        csvText(row.ours?.ref ?? ''),
        csvText(row.ours ? (KIND_TEXT[row.ours.kind] ?? row.ours.kind) : ''),
        t(row.ours?.paidAt),
        row.ours ? fenToYuan(row.ours.amountFen) : '',
        row.ours ? fenToYuan(row.ours.refundedFen) : '',
        csvText(row.lot?.payNo ?? ''),
        row.lot ? row.lot.sources.map((x) => SOURCE_TEXT[x] ?? x).join('、') : '',
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

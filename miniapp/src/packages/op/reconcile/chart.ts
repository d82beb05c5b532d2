/**
 * Daily takings by channel as a bar chart drawn with views: one row per day, a bar as long as the day's
 * takings against the largest day, split into a segment per channel.
 */
import { RECON_CHANNEL_TEXT } from '@shared/api/op-reconciliation';

export const CHANNEL_TEXT = RECON_CHANNEL_TEXT;
export type Channel = keyof typeof CHANNEL_TEXT;
export const CHANNEL_COLOR: Record<Channel, string> = { wechat: '#07c160', alipay: '#1677ff', cash: '#fa8c16', unionpay: '#cf1322', transit_card: '#722ed1', other: '#8c8c8c' };

export interface ChartRow {
  date: string;
  totalFen: number;
  /** Of the largest day, 0–100. */
  barPercent: number;
  /** Of this day's bar, 0–100; channels with nothing left out. */
  segments: { channel: Channel; fen: number; percent: number }[];
}

export function chartRows(days: { date: string; totalFen: number; byChannel: Record<Channel, number> }[], channels: readonly Channel[]): ChartRow[] {
  const max = Math.max(0, ...days.map((d) => d.totalFen));
  return days.map((d) => {
    const parts = channels.map((c) => ({ channel: c, fen: Math.max(0, d.byChannel[c] ?? 0) })).filter((p) => p.fen > 0);
    const sum = parts.reduce((a, p) => a + p.fen, 0);
    return {
      date: d.date,
      totalFen: d.totalFen,
      barPercent: max > 0 ? Math.max(0, Math.round((d.totalFen / max) * 1000) / 10) : 0,
      segments: parts.map((p) => ({ ...p, percent: sum > 0 ? Math.round((p.fen / sum) * 1000) / 10 : 0 })),
    };
  });
}

/** yyyy-MM-dd ± days (calendar arithmetic on the date alone). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return `${t.getUTCFullYear()}-${String(t.getUTCMonth() + 1).padStart(2, '0')}-${String(t.getUTCDate()).padStart(2, '0')}`;
}

/**
 * Reading Bluecard's outTradeNo. The spec gives its shape (4.4 3.14, 4.16 and 4.17 tables):
 * `停车场编号_通道号_orderId_HHmmss` — parkNumber, lane (channel) id, the stay's orderId and the China time
 * the lot priced the stay. 4.16 and 4.27 send only outTradeNo, payCharge and the plate, but a sendPayRes
 * (4.5) for the same payment needs orderId and getTime (the settlement time), so we read them from it.
 * Park numbers may contain '_' themselves ("p_demo_001"), so the fields are taken from the right.
 */
import { formatChinaTime, parseChinaTime } from '../../../../shared/time';

export interface OutTradeNoParts {
  channelId: string;
  orderId: string;
  /** HHmmss, China time. */
  hhmmss: string;
}

export function parseOutTradeNo(outTradeNo: string, parkNumber: string): OutTradeNoParts | undefined {
  const rest = outTradeNo.startsWith(`${parkNumber}_`) ? outTradeNo.slice(parkNumber.length + 1).split('_') : undefined;
  const parts = rest?.length === 3 ? rest : outTradeNo.split('_').slice(-3);
  if (parts.length !== 3) return undefined;
  const [channelId, orderId, hhmmss] = parts as [string, string, string];
  if (!/^\d{6}$/.test(hhmmss) || orderId === '' || channelId === '') return undefined;
  const [h, m, s] = [hhmmss.slice(0, 2), hhmmss.slice(2, 4), hhmmss.slice(4, 6)].map(Number) as [number, number, number];
  if (h > 23 || m > 59 || s > 59) return undefined;
  return { channelId, orderId, hhmmss };
}

/**
 * The settlement time (`yyyy-MM-dd HH:mm:ss`) of a price the lot made at `hhmmss` China time, shortly
 * before `now`: today's date, or yesterday's when that time of day is still ahead (priced before midnight,
 * asked after it). A few minutes ahead are taken as clock skew, not as yesterday.
 */
export function settlementTimeOf(hhmmss: string, now: number): string {
  const day = formatChinaTime(now).slice(0, 10);
  const at = parseChinaTime(`${day} ${hhmmss.slice(0, 2)}:${hhmmss.slice(2, 4)}:${hhmmss.slice(4, 6)}`).getTime();
  return formatChinaTime(at > now + 5 * 60_000 ? at - 24 * 60 * 60_000 : at);
}

/**
 * Booking capacity: what ParkPay holds of the lot's bookable spaces (the bookable counts of its latest
 * heartbeat, less the places sold since), for the whole lot and per area, by the areas' own names. Offers
 * sell only while these last.
 */
import { Button, Text, View } from '@tarojs/components';
import type { ResponseOf } from '@shared/api/contract';
import type { opBookingEndpoints } from '@shared/api/op-bookings';
import type { Loaded } from '../../../hooks/useLoader';
import { Loading } from '../../../components/ui';
import { dateTime } from '../../../services/format';
import { OpError, OpTable } from '../components/OpUi';

export type Capacity = ResponseOf<typeof opBookingEndpoints.capacity>;
type Area = { areaId: number; name: string };

/** An area by its name ("地下停车场"), else its number; 0 is any area of the lot. */
export function areaName(areaId: number, areas: readonly Area[] | undefined): string {
  if (areaId === 0) return '不限区域';
  const a = areas?.find((x) => x.areaId === areaId);
  return a?.name || `区域 ${areaId}`;
}

/** 'all' → 整个车场, 'area:3' → the area's name (else 区域 3), anything else as sent. */
export function ledgerName(key: string, areas?: readonly Area[]): string {
  if (key === 'all') return '整个车场';
  const m = /^area:(\d+)$/.exec(key);
  return m ? areaName(Number(m[1]), areas) : key;
}

/** The whole lot first, then the areas in number order. */
export function sortLedgers<T extends { key: string }>(ledgers: readonly T[]): T[] {
  const n = (k: string) => (k === 'all' ? -1 : Number(/^area:(\d+)$/.exec(k)?.[1] ?? Number.MAX_SAFE_INTEGER));
  return [...ledgers].sort((a, b) => n(a.key) - n(b.key) || a.key.localeCompare(b.key));
}

/** Places the lot can still take for an offer of this area: its area's and the whole lot's, the smaller (undefined: not known). */
export function bookableFor(areaId: number, cap: Capacity | undefined): number | undefined {
  if (!cap?.heartbeatAt) return undefined;
  const all = cap.ledgers.find((l) => l.key === 'all')?.free;
  const area = areaId === 0 ? undefined : cap.ledgers.find((l) => l.key === `area:${areaId}`)?.free;
  const known = [all, area].filter((n): n is number => n !== undefined);
  return known.length ? Math.max(0, Math.min(...known)) : undefined;
}

export function CapacityCard({ cap }: { cap: Loaded<Capacity> & { reload: () => void } }) {
  return (
    <View className="card op-capacity">
      <Text className="section-title">可预约车位</Text>
      <Text className="muted">车场随心跳上报各区域可预约的车位数，减去 ParkPay 之后售出的；售完即停止预约。</Text>
      {cap.state === 'loading' ? <Loading /> : null}
      {cap.state === 'error' ? <OpError error={cap.error} onRetry={cap.reload} /> : null}
      {cap.state === 'ok' ? (
        <>
          <Text className="muted op-capacity-at">{cap.data.heartbeatAt ? `车场心跳：${dateTime(cap.data.heartbeatAt)}` : '车场还没有发来心跳：暂不能售出预约'}</Text>
          {cap.data.ledgers.length ? (
            <OpTable head={['区域', '可预约']}>
              {sortLedgers(cap.data.ledgers).map((l) => (
                <View key={l.key} className={`op-tr op-ledger op-ledger-${l.key.replace(/[^a-z0-9]/gi, '-')}`}>
                  <Text className="op-td">{ledgerName(l.key, cap.data.areas)}</Text>
                  <Text className={`op-td${l.free <= 0 ? ' op-error-text' : ''}`}>{l.free > 0 ? `剩余 ${l.free} 个` : '已满'}</Text>
                </View>
              ))}
            </OpTable>
          ) : cap.data.heartbeatAt ? (
            <Text className="muted">车场没有上报可预约车位</Text>
          ) : null}
          <Button className="btn btn-secondary btn-small op-capacity-reload" onClick={cap.reload}>
            刷新
          </Button>
        </>
      ) : null}
    </View>
  );
}

/**
 * Booking capacity: what ParkPay holds of the lot's bookable spaces (4.1 bookSpaceCount of its latest
 * heartbeat, less the places sold since), for the whole lot and per area. Offers sell only while these last.
 */
import { Button, Text, View } from '@tarojs/components';
import { opBookingEndpoints } from '@shared/api/op-bookings';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { dateTime } from '../../../services/format';
import { OpError } from '../components/OpUi';
import { opCall } from '../services/session';

/** 'all' → 整个车场, 'area:3' → 区域 3, anything else as sent. */
export function ledgerName(key: string): string {
  if (key === 'all') return '整个车场';
  const m = /^area:(.+)$/.exec(key);
  return m ? `区域 ${m[1]}` : key;
}

/** The whole lot first, then the areas in number order. */
export function sortLedgers<T extends { key: string }>(ledgers: readonly T[]): T[] {
  const n = (k: string) => (k === 'all' ? -1 : Number(/^area:(\d+)$/.exec(k)?.[1] ?? Number.MAX_SAFE_INTEGER));
  return [...ledgers].sort((a, b) => n(a.key) - n(b.key) || a.key.localeCompare(b.key));
}

export function CapacityCard({ parkNumber }: { parkNumber: string }) {
  const cap = useLoader(() => opCall(opBookingEndpoints.capacity, { params: { parkNumber } }), [parkNumber]);
  return (
    <View className="card op-capacity">
      <Text className="section-title">可预约车位（车场心跳 4.1）</Text>
      {cap.state === 'loading' ? <Loading /> : null}
      {cap.state === 'error' ? <OpError error={cap.error} onRetry={cap.reload} /> : null}
      {cap.state === 'ok' ? (
        <>
          <Text className="muted op-capacity-at">{cap.data.heartbeatAt ? `车场心跳：${dateTime(cap.data.heartbeatAt)}` : '车场还没有发来心跳：暂不能售出预约'}</Text>
          {cap.data.ledgers.length ? (
            <View className="op-table">
              {sortLedgers(cap.data.ledgers).map((l) => (
                <View key={l.key} className={`op-tr op-ledger op-ledger-${l.key.replace(/[^a-z0-9]/gi, '-')}`}>
                  <Text className="op-td">{ledgerName(l.key)}</Text>
                  <Text className={`op-td${l.free <= 0 ? ' op-error-text' : ''}`}>{l.free > 0 ? `剩余 ${l.free} 个` : '已满'}</Text>
                </View>
              ))}
            </View>
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

/**
 * Choose a park without scanning: the driver's recent parks (where a car of theirs is now first), and every
 * park by a few characters of its name or address. Chosen, it opens what the driver came for (`next`:
 * pre-pay by default, free spaces, booking).
 */
import { Input, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { parkEndpoints, type ParkSummary, type RecentPark } from '@shared/api/parks';
import { ErrorState, Spinner } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call, demoName } from '../../../services/api';
import { dateTime } from '../../../services/format';
import { rememberPark } from '../../../services/memory';
import { platform } from '../../../services/platform';
import { pageUrl, param, type PageName } from '../../../services/routes';

const NEXT: Record<string, PageName> = { prepay: 'prepay', park: 'park', offers: 'offers', pass: 'pass' };

function ParkItem({ p, onChoose }: { p: ParkSummary & Partial<Pick<RecentPark, 'lastAt' | 'carInPark'>>; onChoose: () => void }) {
  return (
    <View className="card park-item" onClick={onChoose} data-park={p.parkNumber}>
      <View className="park-item-head">
        <Text className="park-item-name">{p.name}</Text>
        {p.spaces?.free !== null && p.spaces?.free !== undefined ? <Text className="park-item-free">空位 {p.spaces.free}</Text> : null}
      </View>
      {p.address ? <Text className="muted">{p.address}</Text> : null}
      {p.carInPark ? <Text className="tag">我的车在这里</Text> : p.lastAt ? <Text className="muted">上次 {dateTime(p.lastAt)}</Text> : null}
    </View>
  );
}

export default function ParkListPage() {
  const { params } = useRouter();
  const next = NEXT[param(params, 'next') ?? 'prepay'] ?? 'prepay';
  const [typed, setTyped] = useState('');
  const [q, setQ] = useState('');
  // Ask once the driver stops typing for a moment.
  useEffect(() => {
    const t = setTimeout(() => setQ(typed.trim()), 300);
    return () => clearTimeout(t);
  }, [typed]);
  // The H5 demo asks who the driver is only when something needs it: recent parks wait for a login.
  const known = platform() !== 'h5' || Boolean(demoName());
  const recent = useLoader(async () => (known ? (await call(parkEndpoints.recent, {})).parks : []), []);
  const found = useLoader(() => call(parkEndpoints.list, { query: q ? { q } : {} }), [q]);
  const choose = (parkNumber: string) => {
    rememberPark(parkNumber);
    void Taro.redirectTo({ url: pageUrl(next, { park: parkNumber }) });
  };
  const recentList = recent.state === 'ok' ? recent.data : [];
  return (
    <View className="page page-parks">
      <Text className="page-title">选择停车场</Text>
      <View className="search">
        <Input className="input park-search" value={typed} placeholder="搜索停车场名称或地址" onInput={(e) => setTyped(e.detail.value)} />
      </View>
      {!q && recentList.length ? (
        <>
          <Text className="section-title">最近去过</Text>
          {recentList.map((p) => (
            <ParkItem key={`r-${p.parkNumber}`} p={p} onChoose={() => choose(p.parkNumber)} />
          ))}
        </>
      ) : null}
      <Text className="section-title">{q ? `“${q}”的搜索结果` : '全部停车场'}</Text>
      {found.state === 'loading' ? (
        <View className="wait">
          <Spinner small />
          <Text className="muted">正在查找…</Text>
        </View>
      ) : null}
      {found.state === 'error' ? <ErrorState error={found.error} onRetry={found.reload} /> : null}
      {found.state === 'ok' && found.data.parks.length === 0 ? <Text className="muted">没有找到停车场，换个名称或地址试试</Text> : null}
      {found.state === 'ok' ? found.data.parks.map((p) => <ParkItem key={p.parkNumber} p={p} onChoose={() => choose(p.parkNumber)} />) : null}
    </View>
  );
}

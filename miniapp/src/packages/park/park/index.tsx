/** A park's free spaces (from the lot's heartbeats) and "find my car" (GET /api/parks/:parkNumber/find-car). */
import { Button, Input, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { parkEndpoints, type ParkView } from '@shared/api/parks';
import { Picture } from '../../../components/Picture';
import { ErrorState, Loading, Notice } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call, errorOf } from '../../../services/api';
import { dateTime } from '../../../services/format';
import { lastPark } from '../../../services/memory';
import { param } from '../../../services/routes';

type Spaces = Awaited<ReturnType<typeof findCar>>;
const findCar = (parkNumber: string, plate: string) => call(parkEndpoints.findCar, { params: { parkNumber }, query: { plate } });

function Free({ park }: { park: ParkView }) {
  const s = park.spaces;
  return (
    <View className="card">
      <Text className="section-title">空余车位</Text>
      {s && s.free !== null ? (
        <Text className="big-number">
          {s.free}
          {s.total !== null ? <Text className="muted"> / {s.total}</Text> : null}
        </Text>
      ) : (
        <Text className="muted">车场暂未上报车位数</Text>
      )}
      {park.areas.map((a) => (
        <View key={a.name} className="row">
          <Text className="row-label">{a.name}</Text>
          <Text className="row-value">{a.free !== null ? `空 ${a.free}` : '—'}{a.total !== null ? ` / ${a.total}` : ''}</Text>
        </View>
      ))}
      {s ? <Text className="muted">更新于 {dateTime(s.updatedAt)}</Text> : null}
    </View>
  );
}

function FindCar({ parkNumber }: { parkNumber: string }) {
  const [plate, setPlate] = useState('');
  const [found, setFound] = useState<{ state: 'idle' } | { state: 'busy' } | { state: 'ok'; data: Spaces } | { state: 'error'; error: { code: string; message: string } }>({ state: 'idle' });
  const search = async () => {
    setFound({ state: 'busy' });
    try {
      setFound({ state: 'ok', data: await findCar(parkNumber, plate.trim()) });
    } catch (e) {
      setFound({ state: 'error', error: errorOf(e) });
    }
  };
  return (
    <View className="card">
      <Text className="section-title">找我的车</Text>
      <Input className="input" value={plate} placeholder="完整车牌号，如 京A12345" onInput={(e) => setPlate(e.detail.value)} />
      <Button className="btn btn-primary" disabled={plate.trim().length < 7 || found.state === 'busy'} onClick={search}>
        查找
      </Button>
      {found.state === 'error' ? <ErrorState error={found.error} onRetry={search} /> : null}
      {found.state === 'ok' && !found.data.here ? <Text className="muted">停车场内没有这辆车</Text> : null}
      {found.state === 'ok' && found.data.here && !found.data.proved ? (
        <Text className="muted">这辆车在停车场内。在此车场缴过费、或在“我的停车”中确认入场信息后，可查看车位。</Text>
      ) : null}
      {found.state === 'ok' && found.data.proved && found.data.here && found.data.spaces.length === 0 ? <Text className="muted">没有找到这辆车的车位信息</Text> : null}
      {found.state === 'ok'
        ? found.data.spaces.map((s) => (
            <View key={`${s.layerName}-${s.spaceId}-${s.plate}`} className="space">
              <Text className="space-title">
                {s.plate} · {s.layerName} {s.spaceId} 号车位
              </Text>
              {s.imageUrl ? <Picture className="space-image" src={s.imageUrl} missing="车位照片暂不可用" /> : null}
            </View>
          ))
        : null}
    </View>
  );
}

export default function ParkPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? lastPark();
  const park = useLoader(async () => (parkNumber ? call(parkEndpoints.park, { params: { parkNumber } }) : undefined), [parkNumber]);
  if (!parkNumber) return <Notice title="请先扫描车场的车道码" />;
  if (park.state === 'loading') return <Loading />;
  if (park.state === 'error') return <ErrorState error={park.error} onRetry={park.reload} />;
  return (
    <View className="page page-park">
      <Text className="page-title">{park.data!.name}</Text>
      <Free park={park.data!} />
      <FindCar parkNumber={parkNumber} />
    </View>
  );
}

/**
 * A park's free spaces (from the lot's heartbeats), its tariff, and "find my car" there (GET
 * /api/parks/:parkNumber/find-car) with a bound plate or the plate keyboard: the car's place for a plate the
 * driver has proved at this park, else only whether it is here. Without a park the driver chooses one first.
 */
import { Button, Text, View } from '@tarojs/components';
import { useState } from 'react';
import { parkEndpoints, type ParkView } from '@shared/api/parks';
import { ParkService } from '../../../components/ParkService';
import { PlatePicker } from '../../../components/PlatePicker';
import { ErrorState, Loading } from '../../../components/ui';
import { useChosenPark } from '../../../hooks/useChosenPark';
import { call, errorOf } from '../../../services/api';
import { dateTime } from '../../../services/format';
import { go } from '../../../services/routes';
import { CarFound, type FindCarAnswer } from '../CarSpaces';

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
          <Text className="row-value">
            {a.free !== null ? `空 ${a.free}` : '—'}
            {a.total !== null ? ` / ${a.total}` : ''}
          </Text>
        </View>
      ))}
      {s ? <Text className="muted">更新于 {dateTime(s.updatedAt)}</Text> : null}
    </View>
  );
}

type Found =
  | { state: 'idle' }
  | { state: 'busy'; plate: string }
  | { state: 'ok'; plate: string; found: FindCarAnswer }
  | { state: 'error'; plate: string; error: { code: string; message: string } };

function FindCar({ parkNumber }: { parkNumber: string }) {
  const [found, setFound] = useState<Found>({ state: 'idle' });
  const search = async (plate: string) => {
    setFound({ state: 'busy', plate });
    try {
      setFound({ state: 'ok', plate, found: await call(parkEndpoints.findCar, { params: { parkNumber }, query: { plate } }) });
    } catch (e) {
      setFound({ state: 'error', plate, error: errorOf(e) });
    }
  };
  return (
    <View className="card">
      <Text className="section-title">找我的车</Text>
      {found.state === 'idle' ? <PlatePicker actionText="查找" autoOpen={false} onPick={(plate) => void search(plate)} /> : null}
      {found.state === 'busy' ? <Loading text={`正在查找 ${found.plate}…`} slowText="车场响应较慢，请稍候…" /> : null}
      {found.state === 'error' ? <ErrorState error={found.error} onRetry={() => void search(found.plate)} /> : null}
      {found.state === 'ok' ? <CarFound plate={found.plate} found={found.found} /> : null}
      {found.state === 'ok' || found.state === 'error' ? (
        <Button className="btn btn-secondary" onClick={() => setFound({ state: 'idle' })}>
          换一个车牌
        </Button>
      ) : null}
    </View>
  );
}

export default function ParkPage() {
  const { park: p, gate } = useChosenPark('park');
  if (!p) return gate ?? null;
  return (
    <View className="page page-park">
      <View className="row">
        <Text className="page-title">{p.name}</Text>
        <Text className="row-value service-phone" onClick={() => go('parks', { next: 'park' })}>
          换停车场
        </Text>
      </View>
      <Free park={p} />
      <FindCar parkNumber={p.parkNumber} />
      <ParkService service={p.service} />
    </View>
  );
}

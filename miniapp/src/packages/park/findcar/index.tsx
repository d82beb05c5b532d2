/**
 * Find my car without knowing the park: a bound plate (one tap) or one typed on the plate keyboard →
 * GET /api/me/find-car looks in the driver's recent parks → the parks it is in: its place where the plate is
 * proved, else that it is there and how to prove it; a park whose lot could not say, said. Opened with ?plate=… (from my parking) it looks at once.
 */
import { Button, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { parkEndpoints, type CarSearchView } from '@shared/api/parks';
import { PlatePicker } from '../../../components/PlatePicker';
import { ErrorState, Loading, Notice } from '../../../components/ui';
import { call, errorOf } from '../../../services/api';
import { errorText } from '../../../services/errors';
import { lotTime } from '../../../services/format';
import { go, param } from '../../../services/routes';
import { CarFound } from '../CarSpaces';

type Found = { state: 'idle' } | { state: 'busy'; plate: string } | { state: 'ok'; plate: string; results: CarSearchView[] } | { state: 'error'; plate: string; error: { code: string; message: string } };

export default function FindCarPage() {
  const { params } = useRouter();
  const [found, setFound] = useState<Found>({ state: 'idle' });
  const search = async (plate: string) => {
    setFound({ state: 'busy', plate });
    try {
      const r = await call(parkEndpoints.findMyCar, { query: { plate } });
      setFound({ state: 'ok', plate, results: r.results });
    } catch (e) {
      setFound({ state: 'error', plate, error: errorOf(e) });
    }
  };
  // Opened for a car (my parking): look at once.
  const given = param(params, 'plate');
  useEffect(() => {
    if (given) void search(given);
  }, [given]);
  const hits = found.state === 'ok' ? found.results.filter((r) => r.here && !r.error) : [];
  return (
    <View className="page page-findcar">
      <Text className="page-title">找我的车</Text>
      {found.state === 'idle' || found.state === 'error' ? (
        <>
          {found.state === 'error' ? <ErrorState error={found.error} onRetry={() => void search(found.plate)} /> : null}
          <PlatePicker actionText="找车" onPick={(plate) => void search(plate)} />
        </>
      ) : null}
      {found.state === 'busy' ? <Loading text={`正在各停车场查找 ${found.plate}…`} slowText="车场响应较慢，请稍候…" /> : null}
      {found.state === 'ok' ? (
        <>
          {hits.map((r) => (
            <View key={r.parkNumber} className="card car-found">
              <Text className="park-item-name">{r.parkName}</Text>
              {r.inTime ? <Text className="muted">入场时间 {lotTime(r.inTime)}</Text> : null}
              <CarFound plate={found.plate} found={r} />
            </View>
          ))}
          {hits.length === 0 ? (
            <Notice title={`没有找到 ${found.plate}`} tone="info">
              <Text className="state-hint">{found.results.length ? '最近去过的停车场里都没有这辆车。' : '还没有去过的停车场（缴费、入场或绑定的车牌在场）。'}可以选择停车场查看空位和找车。</Text>
            </Notice>
          ) : null}
          {found.results
            .filter((r) => r.error)
            .map((r) => (
              <Text key={`e-${r.parkNumber}`} className="muted">
                {r.parkName}：{errorText(r.error!).title}
              </Text>
            ))}
          <Button className="btn btn-secondary" onClick={() => setFound({ state: 'idle' })}>
            换一个车牌
          </Button>
          <Button className="btn btn-secondary" onClick={() => go('parks', { next: 'park' })}>
            选择停车场
          </Button>
        </>
      ) : null}
    </View>
  );
}

/**
 * Find a car and its stays: where it is parked now (4.34, by 4+ characters of the plate, or every
 * unlicensed car), its stays in the park (newest first) and each stay's entry/exit pictures (ours from
 * 4.14, else the lot's from 4.20).
 */
import { Button, Input, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { opLotEndpoints, type OpStayView } from '@shared/api/op-lot';
import type { ResponseOf } from '@shared/api/contract';
import { Picture } from '../../../components/Picture';
import { dateTime, yuan } from '../../../services/format';
import { param } from '../../../services/routes';
import { OpError, OpPage, type Err } from '../components/OpUi';
import { opErrorOf } from '../services/errors';
import { opCall } from '../services/session';

type Result<T> = { state: 'idle' } | { state: 'busy' } | { state: 'ok'; data: T } | { state: 'error'; error: Err };
type Cars = ResponseOf<typeof opLotEndpoints.findCar>['cars'];
type Pictures = ResponseOf<typeof opLotEndpoints.stayPictures>;

async function settle<T>(p: Promise<T>, set: (r: Result<T>) => void): Promise<void> {
  set({ state: 'busy' });
  try {
    set({ state: 'ok', data: await p });
  } catch (e) {
    set({ state: 'error', error: opErrorOf(e) });
  }
}

const SOURCE = { stored: '本系统保存', lot: '车场提供', none: '暂无' } as const;

function StayPictures({ parkNumber, stay }: { parkNumber: string; stay: OpStayView }) {
  const [pics, setPics] = useState<Result<Pictures>>({ state: 'idle' });
  const load = () => settle(opCall(opLotEndpoints.stayPictures, { params: { parkNumber, orderId: stay.orderId } }), setPics);
  if (pics.state === 'idle')
    return (
      <Button className="btn btn-secondary btn-small op-stay-pictures" onClick={load}>
        查看照片
      </Button>
    );
  if (pics.state === 'busy') return <Text className="muted">正在获取照片…</Text>;
  if (pics.state === 'error') return <OpError error={pics.error} onRetry={load} />;
  return (
    <View className="op-pictures">
      {pics.data.pictures.length === 0 ? <Text className="muted">这次停车没有照片</Text> : null}
      {pics.data.pictures.map((p) => (
        <View key={`${p.kind}-${p.imageName}`} className="op-picture-item">
          <Text className="muted">
            {p.kind === 'entry' ? '入场照片' : '出场照片'}（{SOURCE[p.source]}）
          </Text>
          {p.url ? <Picture className="op-picture" src={p.url} missing="照片暂不可用" /> : <Text className="muted">没有这张照片</Text>}
        </View>
      ))}
      {pics.data.lotError ? <Text className="muted">车场未能提供照片：{pics.data.lotError}</Text> : null}
    </View>
  );
}

function StayRow({ parkNumber, stay }: { parkNumber: string; stay: OpStayView }) {
  return (
    <View className="card op-stay" id={`stay-${stay.orderId}`}>
      <Text className="op-tile-title">
        {stay.plate}
        <Text className={`op-badge op-badge-${stay.status}`}>{stay.status === 'in' ? '在场' : '已离场'}</Text>
      </Text>
      <Text className="muted">
        入场 {stay.inTime ? dateTime(stay.inTime) : '—'}
        {stay.inChannel ? `（${stay.inChannel}）` : ''}
      </Text>
      {stay.status === 'out' ? (
        <Text className="muted">
          出场 {stay.outTime ? dateTime(stay.outTime) : '—'}
          {stay.outChannel ? `（${stay.outChannel}）` : ''}
          {stay.chargeFen !== null ? ` · 收费 ${yuan(stay.chargeFen)}` : ''}
        </Text>
      ) : null}
      <Text className="muted">记录号 {stay.orderId}</Text>
      <StayPictures parkNumber={parkNumber} stay={stay} />
    </View>
  );
}

export default function OpCarsPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const [plate, setPlate] = useState(param(params, 'plate') ?? '');
  const [cars, setCars] = useState<Result<Cars>>({ state: 'idle' });
  const [stays, setStays] = useState<Result<OpStayView[]>>({ state: 'idle' });
  const typed = plate.trim();
  const search = () => {
    void settle(opCall(opLotEndpoints.findCar, { params: { parkNumber }, query: { plate: typed } }).then((r) => r.cars), setCars);
    void settle(opCall(opLotEndpoints.stays, { params: { parkNumber }, query: { plate: typed } }).then((r) => r.stays), setStays);
  };
  const unlicensed = () => {
    setStays({ state: 'idle' });
    void settle(opCall(opLotEndpoints.findCar, { params: { parkNumber }, query: {} }).then((r) => r.cars), setCars);
  };
  return (
    <OpPage title="找车 · 停车记录" parkNumber={parkNumber} className="op-cars">
      <View className="card">
        <Input className="op-input op-plate" value={plate} maxlength={16} placeholder="车牌号（至少 4 位，可只输后几位）" onInput={(e) => setPlate(e.detail.value)} onConfirm={() => typed.length >= 4 && search()} />
        <View className="op-actions">
          <Button className="btn btn-primary op-search" disabled={typed.length < 4 || cars.state === 'busy'} onClick={search}>
            查询
          </Button>
          <Button className="btn btn-secondary op-unlicensed" disabled={cars.state === 'busy'} onClick={unlicensed}>
            全部无牌车
          </Button>
        </View>
      </View>
      {cars.state !== 'idle' ? (
        <View className="card op-found">
          <Text className="section-title">车辆位置（车位引导系统）</Text>
          {cars.state === 'busy' ? <Text className="muted">正在向车场查询…</Text> : null}
          {cars.state === 'error' ? <OpError error={cars.error} onRetry={search} /> : null}
          {cars.state === 'ok' && cars.data.length === 0 ? <Text className="muted">车位系统里没有找到这辆车</Text> : null}
          {cars.state === 'ok'
            ? cars.data.map((c) => (
                <View key={`${c.layerId}-${c.spaceId}-${c.plate}`} className="op-car">
                  <Text className="op-tile-title">
                    {c.plate} · {c.layerName} {c.spaceId} 号车位
                  </Text>
                  {c.imageUrl ? <Picture className="op-picture" src={c.imageUrl} missing="车位照片暂不可用" /> : null}
                </View>
              ))
            : null}
        </View>
      ) : null}
      {stays.state !== 'idle' ? (
        <View className="op-stays">
          <Text className="section-title">停车记录</Text>
          {stays.state === 'busy' ? <Text className="muted">正在查询…</Text> : null}
          {stays.state === 'error' ? <OpError error={stays.error} onRetry={search} /> : null}
          {stays.state === 'ok' && stays.data.length === 0 ? <Text className="muted">没有这辆车的停车记录</Text> : null}
          {stays.state === 'ok' ? stays.data.map((s) => <StayRow key={s.orderId} parkNumber={parkNumber} stay={s} />) : null}
        </View>
      ) : null}
    </OpPage>
  );
}

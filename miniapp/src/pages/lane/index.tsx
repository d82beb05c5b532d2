/**
 * Where a lane QR code lands (services/laneLink.ts says how each platform hands it over). Shows the park
 * and lane, then:
 * - an entry lane: "无牌车入场" in one tap → the temporary plate and entry time (remembered in my parking);
 * - an exit lane: an unlicensed car's fee (→ pay), or a plated car's: pick a bound plate or type one → pay.
 * The park's tariff (收费标准) under it. A damaged or foreign code, an unknown park or lane: a clear screen
 * with the ways on (home, or the plate typed in).
 */
import { Button, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useEffect, useMemo, useState } from 'react';
import { parkEndpoints, type LaneView } from '@shared/api/parks';
import { WaysOn } from '../../components/DeadEnd';
import { ParkService } from '../../components/ParkService';
import { PlatePicker } from '../../components/PlatePicker';
import { ErrorState, Loading, Notice, Row } from '../../components/ui';
import { useLoader } from '../../hooks/useLoader';
import { call, errorOf } from '../../services/api';
import { lotTime } from '../../services/format';
import { resolveLane } from '../../services/launch';
import { rememberPark, rememberUnlicensedEntry } from '../../services/memory';
import { loadOrderEndpoints, preloadOrderEndpoints } from '../../services/orderContracts';
import { walletOf } from '../../services/platform';
import { go } from '../../services/routes';

type Entry = { state: 'idle' } | { state: 'busy' } | { state: 'done'; plate: string; inTime: string } | { state: 'error'; error: { code: string; message: string } };

function EntryLane({ parkNumber, parkName, lane }: { parkNumber: string; parkName: string; lane: LaneView }) {
  const [entry, setEntry] = useState<Entry>({ state: 'idle' });
  // The order contracts are not needed to show this screen (H5 loads them after it).
  useEffect(preloadOrderEndpoints, []);
  const enter = async () => {
    setEntry({ state: 'busy' });
    try {
      const orders = await loadOrderEndpoints();
      const r = await call(orders.unlicensedEntry, { body: { parkNumber, passagewayId: lane.passagewayId, wallet: walletOf() } });
      rememberUnlicensedEntry({ parkNumber, parkName, plate: r.plate, inTime: r.inTime });
      setEntry({ state: 'done', plate: r.plate, inTime: r.inTime });
    } catch (e) {
      setEntry({ state: 'error', error: errorOf(e) });
    }
  };
  if (entry.state === 'done') {
    return (
      <View className="card entry-done">
        <Text className="entry-title">入场成功，道闸正在抬起</Text>
        <Row label="临时车牌" strong>
          {entry.plate}
        </Row>
        <Row label="入场时间">{lotTime(entry.inTime)}</Row>
        <Text className="muted">出场时在出口扫码即可缴费，记录已保存在「我的停车」。</Text>
        <Button className="btn btn-secondary" onClick={() => go('parking')}>
          我的停车
        </Button>
      </View>
    );
  }
  return (
    <View className="card">
      <Text className="muted">有牌车辆请直接驶入，道闸会识别车牌。</Text>
      <Button className="btn btn-primary btn-big" loading={entry.state === 'busy'} disabled={entry.state === 'busy'} onClick={enter}>
        我没有车牌，无牌车入场
      </Button>
      {entry.state === 'busy' ? <Text className="muted">正在请车场抬杆…</Text> : null}
      {entry.state === 'error' ? <ErrorState error={entry.error} onRetry={enter} /> : null}
    </View>
  );
}

function ExitLane({ parkNumber, lane }: { parkNumber: string; lane: LaneView }) {
  return (
    <View className="card">
      <Button className="btn btn-primary btn-big" onClick={() => go('pay', { kind: 'unlicensed', park: parkNumber, lane: lane.passagewayId })}>
        我没有车牌，无牌车出场缴费
      </Button>
      <Text className="section-title">有牌车辆缴费</Text>
      <PlatePicker onPick={(plate) => go('pay', { kind: 'prepay', park: parkNumber, plate })} />
    </View>
  );
}

export default function LanePage() {
  const { params } = useRouter();
  const launch = useMemo(() => resolveLane(params), [params]);
  const lane = launch.kind === 'lane' ? launch.lane : undefined;
  const park = useLoader(async () => (lane ? call(parkEndpoints.park, { params: { parkNumber: lane.parkNumber } }) : undefined), [lane?.parkNumber]);
  const known = park.state === 'ok' ? park.data?.parkNumber : undefined;
  useEffect(() => {
    if (known) rememberPark(known);
  }, [known]);

  if (launch.kind === 'damaged') {
    return (
      <View className="page">
        <Notice title="无法识别这个二维码" tone="warn">
          <Text className="state-hint">这不是 ParkPay 的车道码，或二维码已损坏。可以直接输入车牌查询费用，或扫描车道旁的缴费码、到岗亭缴费。</Text>
          <WaysOn />
        </Notice>
      </View>
    );
  }
  if (!lane) {
    return (
      <View className="page">
        <Notice title="请扫描车道旁的二维码" tone="info">
          <WaysOn />
        </Notice>
      </View>
    );
  }
  if (park.state === 'loading') return <Loading text="正在连接车场…" slowText="网络较慢，请稍候…" />;
  if (park.state === 'error') {
    return (
      <View className="page">
        <ErrorState error={park.error} onRetry={park.reload} actions={<WaysOn />} />
      </View>
    );
  }
  const p = park.data!;
  const l = p.lanes.find((x) => x.passagewayId === lane.passagewayId);
  return (
    <View className="page page-lane">
      <View className="lane-head">
        <Text className="park-name">{p.name}</Text>
        <Text className="lane-name">{l ? `${l.name}${l.direction === 'in' ? ' · 入口' : l.direction === 'out' ? ' · 出口' : ''}` : `车道 ${lane.passagewayId}`}</Text>
        {p.spaces?.free !== null && p.spaces?.free !== undefined ? <Text className="muted">空余车位 {p.spaces.free}</Text> : null}
      </View>
      {!l ? (
        <Notice title="未知的车道" tone="warn">
          <Text className="state-hint">这个车场没有这条车道，请扫描车道旁的缴费码，或联系工作人员。</Text>
          <WaysOn park={p.parkNumber} />
        </Notice>
      ) : l.direction === 'in' ? (
        <EntryLane parkNumber={p.parkNumber} parkName={p.name} lane={l} />
      ) : l.direction === 'out' ? (
        <ExitLane parkNumber={p.parkNumber} lane={l} />
      ) : (
        <View className="card">
          <Text className="muted">车场未说明这条车道是入口还是出口。</Text>
          <PlatePicker onPick={(plate) => go('pay', { kind: 'prepay', park: p.parkNumber, plate })} />
        </View>
      )}
      <ParkService service={p.service} />
    </View>
  );
}

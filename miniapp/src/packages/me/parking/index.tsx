/**
 * My parking: the driver's cars in parks now (GET /api/me/stays: bound plates and unlicensed entries), each
 * with how long it has been parked (counting), its entry picture — or a word that the lot sent none —, the
 * live fee (POST /api/fees/prepay) with the coupons applied, and ways to pay it or find the car. A bound plate
 * the driver has not proved at that park shows only that the car is there, and a way to prove it: the entry
 * lane and time of its stay, which the lot's record checks (POST /api/parks/:parkNumber/plate-proofs).
 */
import { Button, Input, Text, View } from '@tarojs/components';
import { useDidShow } from '@tarojs/taro';
import { useState } from 'react';
import { orderEndpoints } from '@shared/api/orders';
import { parkEndpoints, type StayView } from '@shared/api/parks';
import { LeaveCountdown } from '../../../components/LeaveCountdown';
import { Picture } from '../../../components/Picture';
import { ErrorState, Loading, Notice, Row, Spinner } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { useNow } from '../../../hooks/useNow';
import { ApiError, call, errorOf } from '../../../services/api';
import { errorText } from '../../../services/errors';
import { duration, lotTime, yuan } from '../../../services/format';
import { formatChinaTime, parseChinaTime } from '@shared/time';
import { unlicensedEntries } from '../../../services/memory';
import { go } from '../../../services/routes';
import { serverNow } from '../../../services/serverClock';

/** The fee now; how long the car has been parked only for a plate proved here (nothing of an unproved stay). */
function LiveFee({ stay, proved = true }: { stay: StayView; proved?: boolean }) {
  const fee = useLoader(() => call(orderEndpoints.prepayFee, { body: { parkNumber: stay.parkNumber, plate: stay.plate } }), [stay.parkNumber, stay.plate]);
  if (fee.state === 'loading') {
    return (
      <View className="wait">
        <Spinner small />
        <Text className="muted">正在向车场查询当前费用…</Text>
      </View>
    );
  }
  if (fee.state === 'error') {
    return (
      <View className="row">
        <Text className="row-label">当前费用</Text>
        <Text className="row-value muted" onClick={fee.reload}>
          {errorText(fee.error).title}（点此重试）
        </Text>
      </View>
    );
  }
  const f = fee.data;
  const coupons = (f.coupons ?? []).filter((c) => c.state !== 'used');
  return (
    <View>
      {proved ? <Parked minutes={f.stopMinutes} /> : null}
      <Row label={f.paidFen > 0 && f.payFen > 0 ? '需补缴' : '当前费用'} strong>
        {f.payFen === 0 ? '无需缴费' : yuan(f.payFen)}
      </Row>
      {f.discountFen > 0 ? <Row label="已优惠">{yuan(f.discountFen)}</Row> : null}
      {coupons.map((c, i) => (
        <Row key={i} label="优惠券">
          {c.from ? `${c.from} ` : ''}
          {c.kind === 'hours' ? `${duration(c.amount)}停车券` : `${yuan(c.amount)} 停车券`}（{c.state === 'applied' ? '已抵扣' : '出场时抵扣'}）
        </Row>
      ))}
      {f.order ? (
        <Button className="btn btn-primary" onClick={() => go('pay', { orderNo: f.order!.orderNo })}>
          去缴费
        </Button>
      ) : null}
    </View>
  );
}

/**
 * How long the car has been parked, counting on: from the lot's own count when the fee came with it (the
 * lot's clock, not the phone's), else from the entry time.
 */
function Parked({ minutes, inAt }: { minutes?: number; inAt?: string | null }) {
  const [from] = useState(() => serverNow());
  const now = useNow(30_000);
  const parked = minutes !== undefined ? minutes + (now - from) / 60_000 : inAt ? (now - Date.parse(inAt)) / 60_000 : undefined;
  return parked === undefined ? null : <Row label="已停">{duration(parked)}</Row>;
}

/** "09:30" → today's (or, if still ahead, yesterday's) China date-time; a full "yyyy-MM-dd HH:mm" as typed. */
function enteredAt(text: string, now = serverNow()): string | undefined {
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}$/.test(t)) return t;
  const m = /^(\d{1,2})[:：](\d{2})$/.exec(t);
  if (!m) return undefined;
  const hhmm = `${m[1]!.padStart(2, '0')}:${m[2]}`;
  const today = formatChinaTime(now).slice(0, 10);
  const at = parseChinaTime(`${today} ${hhmm}`).getTime();
  return `${formatChinaTime(at > now ? at - 86_400_000 : at).slice(0, 10)} ${hhmm}`;
}

/** Prove a plate at its park: the entry lane and time of the stay, checked by the lot's record. */
function ConfirmPlate({ stay, onProved }: { stay: StayView; onProved: () => void }) {
  const park = useLoader(() => call(parkEndpoints.park, { params: { parkNumber: stay.parkNumber } }), [stay.parkNumber]);
  const [lane, setLane] = useState<string | undefined>();
  const [time, setTime] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const lanes = park.state === 'ok' ? park.data.lanes.filter((l) => l.direction !== 'out') : [];
  const at = enteredAt(time);
  const send = async () => {
    if (!lane || !at) return;
    setBusy(true);
    setProblem(undefined);
    try {
      await call(parkEndpoints.confirmPlate, { params: { parkNumber: stay.parkNumber }, body: { plate: stay.plate, enteredAt: at, passagewayId: lane } });
      onProved();
    } catch (e) {
      const err = errorOf(e);
      const left = e instanceof ApiError ? (e.details as { attemptsLeft?: number } | undefined)?.attemptsLeft : undefined;
      setProblem(err.code === 'not_confirmed' ? `与车场的入场记录不符${left !== undefined ? `，还可尝试 ${left} 次` : ''}` : errorText(err).title);
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="confirm-plate">
      <Text className="muted">选择入场口，填写大约的入场时间（前后 10 分钟内），车场记录相符即可查看。</Text>
      <View className="row">
        {lanes.map((l) => (
          <Button key={l.passagewayId} className={`btn btn-small ${lane === l.passagewayId ? 'btn-primary' : 'btn-secondary'}`} onClick={() => setLane(l.passagewayId)}>
            {l.name}
          </Button>
        ))}
      </View>
      <Input className="input" value={time} placeholder="入场时间，如 09:30" onInput={(e) => setTime(e.detail.value)} />
      {problem ? <Text className="state-hint">{problem}</Text> : null}
      <Button className="btn btn-primary" disabled={!lane || !at || busy} onClick={send}>
        确认
      </Button>
    </View>
  );
}

function Stay({ stay, reload }: { stay: StayView; reload: () => void }) {
  const [confirming, setConfirming] = useState(false);
  if (!stay.proved) {
    // Only that a car with this plate is here, until the driver proves it is theirs.
    return (
      <View className="card stay stay-unproved">
        <Text className="section-title">{stay.parkName}</Text>
        <Row label="车牌">{stay.plate}</Row>
        <Text className="muted">这辆车在场内。在此车场缴过费或确认入场信息后，可查看入场时间、照片和车位。</Text>
        {confirming ? (
          <ConfirmPlate stay={stay} onProved={reload} />
        ) : (
          <Button className="btn btn-secondary" onClick={() => setConfirming(true)}>
            确认是我的车
          </Button>
        )}
        <LiveFee stay={stay} proved={false} />
      </View>
    );
  }
  return (
    <View className="card stay">
      <Text className="section-title">{stay.parkName}</Text>
      <Row label={stay.source === 'unlicensed' ? '临时车牌' : '车牌'}>{stay.plate}</Row>
      <Row label="入场时间">{lotTime(stay.inTime)}</Row>
      {stay.leaveBy ? <Parked inAt={stay.inAt} /> : null}
      {stay.inImageUrl ? <Picture className="stay-image" src={stay.inImageUrl} missing="入场照片暂时打不开" /> : <Text className="muted">车场未提供入场照片</Text>}
      {stay.leaveBy ? <LeaveCountdown leaveBy={stay.leaveBy} /> : <LiveFee stay={stay} />}
      <Button className="btn btn-secondary" onClick={() => go('findcar', { plate: stay.plate })}>
        找车
      </Button>
    </View>
  );
}

export default function ParkingPage() {
  const stays = useLoader(() => call(parkEndpoints.myStays, {}), []);
  useDidShow(() => {
    if (stays.state === 'ok') stays.reload();
  });
  if (stays.state === 'loading') return <Loading />;
  if (stays.state === 'error') {
    // The phone still knows the unlicensed entries it made.
    const local = unlicensedEntries();
    return (
      <View className="page">
        <ErrorState error={stays.error} onRetry={stays.reload} />
        {local.map((e) => (
          <View key={`${e.parkNumber}-${e.plate}`} className="card">
            <Text className="section-title">{e.parkName}</Text>
            <Row label="临时车牌">{e.plate}</Row>
            <Row label="入场时间">{lotTime(e.inTime)}</Row>
          </View>
        ))}
      </View>
    );
  }
  const list = stays.data.stays;
  return (
    <View className="page page-parking">
      <Text className="page-title">我的停车</Text>
      {list.length === 0 ? (
        <Notice title="目前没有在场的车辆">
          <Text className="state-hint">绑定车牌后，车辆入场就会显示在这里。</Text>
          <Button className="btn btn-secondary" onClick={() => go('plates')}>
            绑定车牌
          </Button>
        </Notice>
      ) : null}
      {list.map((s) => (
        <Stay key={`${s.parkNumber}-${s.plate}`} stay={s} reload={stays.reload} />
      ))}
    </View>
  );
}

/**
 * My parking: the driver's cars in parks now (GET /api/me/stays: bound plates and unlicensed entries), each
 * with its entry picture and the live fee (POST /api/fees/prepay), and a way to pay it.
 */
import { Button, Text, View } from '@tarojs/components';
import { orderEndpoints } from '@shared/api/orders';
import { parkEndpoints, type StayView } from '@shared/api/parks';
import { LeaveCountdown } from '../../../components/LeaveCountdown';
import { Picture } from '../../../components/Picture';
import { ErrorState, Loading, Row } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call } from '../../../services/api';
import { errorText } from '../../../services/errors';
import { lotTime, yuan } from '../../../services/format';
import { unlicensedEntries } from '../../../services/memory';
import { go } from '../../../services/routes';

function LiveFee({ stay }: { stay: StayView }) {
  const fee = useLoader(() => call(orderEndpoints.prepayFee, { body: { parkNumber: stay.parkNumber, plate: stay.plate } }), [stay.parkNumber, stay.plate]);
  if (fee.state === 'loading') return <Text className="muted">正在查询当前费用…</Text>;
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
  return (
    <View>
      <Row label="当前费用" strong>
        {f.payFen === 0 ? '无需缴费' : yuan(f.payFen)}
      </Row>
      {f.order ? (
        <Button className="btn btn-primary" onClick={() => go('pay', { orderNo: f.order!.orderNo })}>
          去缴费
        </Button>
      ) : null}
    </View>
  );
}

function Stay({ stay }: { stay: StayView }) {
  return (
    <View className="card stay">
      <Text className="section-title">{stay.parkName}</Text>
      <Row label={stay.source === 'unlicensed' ? '临时车牌' : '车牌'}>{stay.plate}</Row>
      <Row label="入场时间">{lotTime(stay.inTime)}</Row>
      {stay.inImageUrl ? <Picture className="stay-image" src={stay.inImageUrl} missing="入场照片暂未上传" /> : null}
      {stay.leaveBy ? <LeaveCountdown leaveBy={stay.leaveBy} /> : <LiveFee stay={stay} />}
    </View>
  );
}

export default function ParkingPage() {
  const stays = useLoader(() => call(parkEndpoints.myStays, {}), []);
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
      {list.length === 0 ? <Text className="muted">目前没有在场的车辆</Text> : null}
      {list.map((s) => (
        <Stay key={`${s.parkNumber}-${s.plate}`} stay={s} />
      ))}
    </View>
  );
}

/** A stay's fee with its parts: entry time, duration, total, paid, discounts, to pay; zero → drive out. */
import { Text, View } from '@tarojs/components';
import { duration, lotTime, yuan } from '../services/format';
import { Row } from './ui';

export interface FeeParts {
  plate: string;
  inTime: string;
  stopMinutes: number;
  chargeFen: number;
  paidFen: number;
  discountFen: number;
  payFen: number;
  paidFreeMinutes: number;
}

export function FeeView({ fee }: { fee: FeeParts }) {
  return (
    <View className="card fee">
      <Row label="车牌">{fee.plate}</Row>
      <Row label="入场时间">{lotTime(fee.inTime)}</Row>
      <Row label="停车时长">{duration(fee.stopMinutes)}</Row>
      <Row label="停车费">{yuan(fee.chargeFen)}</Row>
      {fee.paidFen > 0 ? <Row label="已付">-{yuan(fee.paidFen)}</Row> : null}
      {fee.discountFen > 0 ? <Row label="优惠">-{yuan(fee.discountFen)}</Row> : null}
      <Row label="待支付" strong>
        {yuan(fee.payFen)}
      </Row>
      {fee.payFen === 0 ? (
        <View className="fee-zero">
          <Text className="fee-zero-title">无需缴费，请直接驶出</Text>
          {fee.paidFen > 0 && fee.paidFreeMinutes > 0 ? (
            <Text className="fee-zero-hint">已缴费的车辆请在缴费后 {fee.paidFreeMinutes} 分钟内离场</Text>
          ) : null}
        </View>
      ) : null}
    </View>
  );
}

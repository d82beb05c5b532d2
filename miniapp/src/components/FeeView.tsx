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
  /** ParkPay coupons of the stay (the API's fee view): 'applied' ones are in discountFen already. */
  coupons?: { kind: 'hours' | 'money'; amount: number; state: 'applied' | 'pending' | 'used'; from: string | null }[];
}

const COUPON_STATE = { applied: '已抵扣', pending: '出场时抵扣', used: '已抵扣' } as const;

/** "一楼咖啡 1小时停车券" / "¥5.00 停车券". */
function couponText(c: NonNullable<FeeParts['coupons']>[number]): string {
  const what = c.kind === 'hours' ? `${duration(c.amount)}停车券` : `${yuan(c.amount)} 停车券`;
  return `${c.from ? `${c.from} ` : ''}${what}`;
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
      {(fee.coupons ?? []).map((c, i) => (
        <Row key={i} label="优惠券">
          {couponText(c)}（{COUPON_STATE[c.state]}）
        </Row>
      ))}
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

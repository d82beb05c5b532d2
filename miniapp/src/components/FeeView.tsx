/**
 * A stay's fee with its parts: entry time, duration, total, paid, discounts, to pay; zero → drive out. Once
 * paid, what was paid (never "to pay" beside "paid"). A fee after an earlier payment explains itself: when it
 * was paid and until when leaving was free — the rest is for the extra time (超时补缴).
 */
import { Text, View } from '@tarojs/components';
import { duration, hhmm, lotTime, yuan } from '../services/format';
import { Row } from './ui';
import './driver.css';

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
  /** The driver's own earlier payment of this stay (the API's fee view). */
  lastPayment?: { fen: number; paidAt: string; leaveBy: string } | null;
}

const COUPON_STATE = { applied: '已抵扣', pending: '出场时抵扣', used: '已抵扣' } as const;

/** "一楼咖啡 1小时停车券" / "¥5.00 停车券". */
function couponText(c: NonNullable<FeeParts['coupons']>[number]): string {
  const what = c.kind === 'hours' ? `${duration(c.amount)}停车券` : `${yuan(c.amount)} 停车券`;
  return `${c.from ? `${c.from} ` : ''}${what}`;
}

/** Why there is something to pay after paying already. */
function Overstay({ fee }: { fee: FeeParts }) {
  const last = fee.lastPayment;
  return (
    <View className="overstay">
      <Text className="overstay-title">超时补缴 {yuan(fee.payFen)}</Text>
      {last ? (
        <Text className="overstay-text">
          已于 {hhmm(last.paidAt)} 缴费 {yuan(last.fen)}，缴费后的免费离场时间到 {hhmm(last.leaveBy)} 截止。车辆此后仍在场内，超出的停车时间需补缴 {yuan(fee.payFen)}。
        </Text>
      ) : (
        <Text className="overstay-text">
          这次停车已缴过 {yuan(fee.paidFen)}，但缴费后的免费离场时间已过，超出的停车时间需补缴 {yuan(fee.payFen)}。
        </Text>
      )}
    </View>
  );
}

/** `paid`: this page's payment went through — its amount is shown as paid, nothing is left "to pay". */
export function FeeView({ fee, paid = false }: { fee: FeeParts; paid?: boolean }) {
  const overstay = !paid && fee.paidFen > 0 && fee.payFen > 0;
  return (
    <View className="card fee">
      <Row label="车牌">{fee.plate}</Row>
      <Row label="入场时间">{lotTime(fee.inTime)}</Row>
      <Row label="停车时长">{duration(fee.stopMinutes)}</Row>
      <Row label="停车费">{yuan(fee.chargeFen)}</Row>
      {fee.paidFen > 0 ? <Row label="已付">{fee.lastPayment ? `${yuan(fee.paidFen)}（${hhmm(fee.lastPayment.paidAt)} 缴费）` : yuan(fee.paidFen)}</Row> : null}
      {fee.discountFen > 0 ? <Row label="优惠">-{yuan(fee.discountFen)}</Row> : null}
      {(fee.coupons ?? []).map((c, i) => (
        <Row key={i} label="优惠券">
          {couponText(c)}（{COUPON_STATE[c.state]}）
        </Row>
      ))}
      {paid ? (
        <Row label="本次已付" strong>
          {yuan(fee.payFen)}
        </Row>
      ) : (
        <Row label={overstay ? '待补缴' : '待支付'} strong>
          {yuan(fee.payFen)}
        </Row>
      )}
      {overstay ? <Overstay fee={fee} /> : null}
      {fee.payFen === 0 ? (
        <View className="fee-zero">
          <Text className="fee-zero-title">无需缴费，请直接驶出</Text>
          {fee.paidFen > 0 && fee.paidFreeMinutes > 0 ? <Text className="fee-zero-hint">已缴费的车辆请在缴费后 {fee.paidFreeMinutes} 分钟内离场</Text> : null}
        </View>
      ) : !paid && fee.paidFreeMinutes > 0 ? (
        <Text className="muted">缴费后 {fee.paidFreeMinutes} 分钟内免费离场，出口道闸自动抬起</Text>
      ) : null}
    </View>
  );
}

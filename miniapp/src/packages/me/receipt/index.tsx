/**
 * A payment's receipt (缴费凭证): amount and status, then what the park's staff or an expense claim asks
 * for — park, plate, entry and exit, duration, channel, our number and the provider's transaction number —
 * and the refund with its reason. Built as sections, so more can follow (invoice, sharing) below.
 */
import { Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import type { ReactNode } from 'react';
import { historyEndpoints, type ReceiptView } from '@shared/api/history';
import { ErrorState, Loading, Row } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { ApiError, call } from '../../../services/api';
import { dateTime, duration, lotTime, yuan } from '../../../services/format';
import { letInText } from '../../../services/bookingText';
import { CHANNEL_TEXT, KIND_TEXT, PAYMENT_STATUS_TEXT, paymentRefundReason, refundStateText } from '../../../services/paymentText';
import { param } from '../../../services/routes';

/** A number the driver may need to quote (customer service, an expense claim): a tap copies it. */
function No({ value }: { value: string | null }) {
  if (!value) return <Text className="receipt-no">—</Text>;
  const copy = () => {
    try {
      void Promise.resolve(Taro.setClipboardData({ data: value })).catch(() => undefined);
    } catch {
      // the number stays on screen
    }
  };
  return (
    <Text className="receipt-no" onClick={copy}>
      {value}
    </Text>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <View className="card receipt-section">
      <Text className="section-title">{title}</Text>
      {children}
    </View>
  );
}

/** The receipt's sections, in order; a later one (an invoice, sharing) is added to this list. */
function sections(r: ReceiptView): { key: string; title: string; body: ReactNode }[] {
  const out: { key: string; title: string; body: ReactNode }[] = [];
  out.push({
    key: 'stay',
    title: r.kind === 'booking' ? '预约' : '停车',
    body: (
      <>
        <Row label="停车场">{r.parkName}</Row>
        <Row label="车牌">{r.plate}</Row>
        {r.booking ? <Row label="预约">{r.booking.title}</Row> : null}
        {r.booking ? <Row label="入场时间段">{letInText(r.booking)}</Row> : null}
        {!r.booking ? <Row label="入场时间">{r.inTime ? lotTime(r.inTime) : '—'}</Row> : null}
        {!r.booking ? <Row label="出场时间">{r.outTime ? lotTime(r.outTime) : '尚未出场'}</Row> : null}
        {r.stopMinutes !== null ? <Row label="停车时长">{duration(r.stopMinutes)}</Row> : null}
      </>
    ),
  });
  out.push({
    key: 'payment',
    title: '支付',
    body: (
      <>
        {r.chargeFen !== null ? <Row label="停车费">{yuan(r.chargeFen)}</Row> : null}
        {r.paidBeforeFen ? <Row label="此前已付">{yuan(r.paidBeforeFen)}</Row> : null}
        {r.discountFen ? <Row label="优惠">-{yuan(r.discountFen)}</Row> : null}
        <Row label="实付金额" strong>
          {yuan(r.amountFen)}
        </Row>
        <Row label="支付方式">
          {r.channel ? CHANNEL_TEXT[r.channel] : '—'}
          {r.kind === 'deduction' ? '（无感支付）' : ''}
        </Row>
        <Row label="支付时间">{r.paidAt ? dateTime(r.paidAt) : '—'}</Row>
        <Row label="订单号">
          <No value={r.ref} />
        </Row>
        <Row label="交易单号">
          <No value={r.transactionId} />
        </Row>
      </>
    ),
  });
  if (r.refund) {
    out.push({
      key: 'refund',
      title: '退款',
      body: (
        <>
          <Row label="退款金额">{yuan(r.refund.fen)}</Row>
          <Row label="状态">{refundStateText(r.refund.state)}</Row>
          <Row label="原因">{paymentRefundReason(r)}</Row>
          {r.refund.refundedAt ? <Row label="退款时间">{dateTime(r.refund.refundedAt)}</Row> : null}
          {r.refundNo ? (
            <Row label="退款单号">
              <No value={r.refundNo} />
            </Row>
          ) : null}
        </>
      ),
    });
  }
  return out;
}

export default function ReceiptPage() {
  const { params } = useRouter();
  const ref = param(params, 'ref');
  const receipt = useLoader(async () => {
    if (!ref) throw new ApiError('bad_link', '缺少订单号');
    return call(historyEndpoints.receipt, { params: { ref } });
  }, [ref]);
  if (receipt.state === 'loading') return <Loading />;
  if (receipt.state === 'error') return <ErrorState error={receipt.error} onRetry={receipt.reload} />;
  const r = receipt.data;
  return (
    <View className="page page-receipt">
      <View className="card receipt-head">
        <Text className="muted">
          {KIND_TEXT[r.kind]}
          {r.title ? ` · ${r.title}` : ''}
        </Text>
        <Text className="receipt-amount">{yuan(r.amountFen)}</Text>
        <Text className="receipt-status">{PAYMENT_STATUS_TEXT[r.status]}</Text>
      </View>
      {sections(r).map((s) => (
        <Section key={s.key} title={s.title}>
          {s.body}
        </Section>
      ))}
      <Text className="muted receipt-hint">点按订单号或交易单号即可复制</Text>
    </View>
  );
}

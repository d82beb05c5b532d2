/**
 * 缴费记录: every payment of the driver, newest first — stays, bookings (预约), deductions under a
 * withholding agreement (无感支付) — and refunds with their reason; a tap opens the receipt. A fee only
 * looked at is never here.
 */
import { Button, Text, View } from '@tarojs/components';
import { useDidShow } from '@tarojs/taro';
import { historyEndpoints, type PaymentEntry } from '@shared/api/history';
import { ErrorState, Loading, Notice } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call } from '../../../services/api';
import { dateTime, yuan } from '../../../services/format';
import { CHANNEL_TEXT, KIND_TEXT, PAYMENT_STATUS_TEXT, paymentRefundReason, refundStateText } from '../../../services/paymentText';
import { go } from '../../../services/routes';

function Payment({ p }: { p: PaymentEntry }) {
  return (
    <View className={`card pay-item pay-item-${p.status}`} data-ref={p.ref} onClick={() => go('receipt', { ref: p.ref })}>
      <View className="pay-item-head">
        <Text className="pay-item-title">
          {p.plate}
          <Text className={`tag tag-${p.kind}`}>{KIND_TEXT[p.kind]}</Text>
        </Text>
        <Text className={`pay-item-amount${p.status === 'refunded' && p.refund?.fen === p.amountFen ? ' pay-item-refunded' : ''}`}>{yuan(p.amountFen)}</Text>
      </View>
      <Text className="muted">
        {p.title ? `${p.title} · ` : ''}
        {p.parkName}
      </Text>
      <Text className="muted">
        {dateTime(p.at)} · {p.channel ? CHANNEL_TEXT[p.channel] : '—'} · {PAYMENT_STATUS_TEXT[p.status]}
      </Text>
      {p.refund ? (
        <Text className="muted pay-item-refund">
          <Text className="tag tag-refund">{refundStateText(p.refund.state)}</Text> {yuan(p.refund.fen)} · {paymentRefundReason(p)}
        </Text>
      ) : null}
    </View>
  );
}

export default function HistoryPage() {
  const list = useLoader(() => call(historyEndpoints.payments, {}), []);
  useDidShow(() => {
    if (list.state === 'ok') list.reload();
  });
  if (list.state === 'loading') return <Loading />;
  if (list.state === 'error') return <ErrorState error={list.error} onRetry={list.reload} />;
  const payments = list.data.payments;
  return (
    <View className="page page-history">
      <Text className="page-title">缴费记录</Text>
      {payments.length === 0 ? (
        <Notice title="还没有缴费记录">
          <Text className="state-hint">在这里可以看到每一笔停车费、预约和无感支付，以及退款。</Text>
          <Button className="btn btn-secondary" onClick={() => go('prepay')}>
            去缴费
          </Button>
        </Notice>
      ) : null}
      {payments.map((p) => (
        <Payment key={p.ref} p={p} />
      ))}
    </View>
  );
}

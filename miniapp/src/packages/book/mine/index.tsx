/**
 * My bookings: each with its status, let-in window and refund; an unpaid one can be paid (while it is
 * held), a paid one cancelled — after a confirmation saying what comes back under the offer's rule.
 */
import { Button, Text, View } from '@tarojs/components';
import { useDidShow } from '@tarojs/taro';
import { useState } from 'react';
import { bookingEndpoints, type BookingView } from '@shared/api/bookings';
import { PayPanel } from '../../../components/PayPanel';
import { ErrorState, Loading, Notice, Row } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call, errorOf } from '../../../services/api';
import { dateTime, yuan } from '../../../services/format';
import { letInText, refundText, STATUS_TEXT } from '../../../services/bookingText';
import { bookingPayDeps } from '../pay';

function BookingCard({ b, onChanged }: { b: BookingView; onChanged: (b: BookingView) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [paying, setPaying] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string } | undefined>();
  const cancel = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onChanged(await call(bookingEndpoints.cancel, { params: { bookingNo: b.bookingNo }, body: {} }));
      setConfirming(false);
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const refund = refundText(b);
  return (
    <View className={`card booking booking-${b.status}`} id={`booking-${b.bookingNo}`}>
      <Text className="section-title">
        {b.title} · {b.plate}
      </Text>
      <Row label="状态" strong>
        {STATUS_TEXT[b.status]}
      </Row>
      <Row label="入场时间">{letInText(b)}</Row>
      <Row label="价格">{yuan(b.priceFen)}</Row>
      {refund ? <Row label="退款">{refund}</Row> : null}
      {b.admittedAt ? <Row label="入场于">{dateTime(b.admittedAt)}</Row> : null}
      <Text className="muted">预约号 {b.bookingNo}</Text>
      {b.status === 'awaiting_payment' && b.order ? (
        paying ? (
          <PayPanel orderNo={b.order.orderNo} amountFen={b.priceFen} kind="booking" deps={bookingPayDeps(b.bookingNo)} />
        ) : (
          <Button className="btn btn-primary" onClick={() => setPaying(true)}>
            去支付
          </Button>
        )
      ) : null}
      {b.cancelNowRefundFen !== null && !confirming ? (
        <Button className="btn btn-secondary booking-cancel" onClick={() => setConfirming(true)}>
          取消预约
        </Button>
      ) : null}
      {confirming && b.cancelNowRefundFen !== null ? (
        <View className="confirm">
          <Text className="state-title">
            {b.status === 'awaiting_payment' ? '取消这个预约？' : b.cancelNowRefundFen > 0 ? `取消后退回 ${yuan(b.cancelNowRefundFen)}` : '现在取消不退款'}
          </Text>
          <Button className="btn btn-primary booking-cancel-confirm" disabled={busy} loading={busy} onClick={cancel}>
            确认取消
          </Button>
          <Button className="btn btn-secondary" disabled={busy} onClick={() => setConfirming(false)}>
            不取消
          </Button>
        </View>
      ) : null}
      {error ? <ErrorState error={error} /> : null}
    </View>
  );
}

export default function MyBookingsPage() {
  const mine = useLoader(() => call(bookingEndpoints.mine, {}), []);
  useDidShow(() => {
    if (mine.state !== 'loading') mine.reload();
  });
  if (mine.state === 'loading') return <Loading />;
  if (mine.state === 'error') return <ErrorState error={mine.error} onRetry={mine.reload} />;
  const list = mine.data.bookings;
  return (
    <View className="page page-bookings">
      <Text className="page-title">我的预约</Text>
      {list.length === 0 ? <Notice title="还没有预约" /> : null}
      {list.map((b) => (
        <BookingCard key={b.bookingNo} b={b} onChanged={(changed) => mine.set({ bookings: list.map((x) => (x.bookingNo === changed.bookingNo ? changed : x)) })} />
      ))}
    </View>
  );
}

/**
 * Book a place (4.18): a park's booking offers on sale → pick one → a plate (bound, or typed) → the place
 * is held for a few minutes → pay it like a stay (PayPanel: the wallet, then the order followed until the
 * lot has the booking).
 */
import { Button, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { bookingEndpoints, type BookingOfferView, type BookingView } from '@shared/api/bookings';
import { PayPanel } from '../../../components/PayPanel';
import { PlatePicker } from '../../../components/PlatePicker';
import { ErrorState, Loading, Notice, Row } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call, errorOf } from '../../../services/api';
import { hhmm, yuan } from '../../../services/format';
import { lastPark } from '../../../services/memory';
import { go, pageUrl, param } from '../../../services/routes';
import { areaText, cancelRuleText, letInText, STATUS_TEXT } from '../../../services/bookingText';
import { bookingPayDeps } from '../pay';

function OfferCard({ offer, onChoose }: { offer: BookingOfferView; onChoose: () => void }) {
  return (
    <View className="card offer" id={`offer-${offer.offerId}`}>
      <Text className="section-title">{offer.title}</Text>
      <Row label="价格" strong>
        {yuan(offer.priceFen)}
      </Row>
      <Row label="入场时间">{letInText(offer)}</Row>
      <Row label="区域">{areaText(offer.areaId)}</Row>
      <Row label="剩余">{offer.left > 0 ? `${offer.left} 个` : '已约满'}</Row>
      <Text className="muted">{cancelRuleText(offer.cancelRule)}</Text>
      <Button className="btn btn-primary" disabled={offer.left <= 0} onClick={onChoose}>
        {offer.left > 0 ? '预约' : '已约满'}
      </Button>
    </View>
  );
}

function BookingPay({ booking }: { booking: BookingView }) {
  // Once paid, "pay before HH:mm" no longer applies (it stayed beside "预约成功").
  const [paying, setPaying] = useState(true);
  if (booking.status !== 'awaiting_payment' || !booking.order) {
    return (
      <Notice title={`${booking.plate} · ${STATUS_TEXT[booking.status]}`} tone={booking.status === 'booked' ? 'ok' : 'info'}>
        <Button className="btn btn-secondary" onClick={() => go('bookings')}>
          我的预约
        </Button>
      </Notice>
    );
  }
  return (
    <View className="card booking-pay">
      <Text className="section-title">
        {booking.title} · {booking.plate}
      </Text>
      <Row label="入场时间">{letInText(booking)}</Row>
      {paying ? <Text className="muted booking-hold">车位已为你保留，请在 {hhmm(booking.order.expiresAt)} 前完成支付</Text> : null}
      <PayPanel
        orderNo={booking.order.orderNo}
        amountFen={booking.priceFen}
        kind="booking"
        deps={bookingPayDeps(booking.bookingNo)}
        onState={(s) => setPaying(!(s.step === 'delivered' || (s.step === 'confirming' && s.order !== undefined && s.order.status !== 'pending' && s.order.status !== 'quoted')))}
      />
      <Button className="btn btn-secondary" onClick={() => go('bookings')}>
        我的预约
      </Button>
    </View>
  );
}

export default function OffersPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? lastPark();
  const offers = useLoader(async () => (parkNumber ? call(bookingEndpoints.offers, { params: { parkNumber } }) : undefined), [parkNumber]);
  const [chosen, setChosen] = useState<BookingOfferView | undefined>();
  const [booking, setBooking] = useState<BookingView | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string } | undefined>();

  const book = async (plate: string) => {
    if (!chosen || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      setBooking(await call(bookingEndpoints.book, { body: { offerId: chosen.offerId, plate } }));
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (!parkNumber) void Taro.redirectTo({ url: pageUrl('parks', { next: 'offers' }) });
  }, [parkNumber]);
  if (!parkNumber) return <Loading text="请选择停车场…" />;
  if (offers.state === 'loading') return <Loading />;
  if (offers.state === 'error') return <ErrorState error={offers.error} onRetry={offers.reload} />;
  const list = offers.data?.offers ?? [];
  return (
    <View className="page page-offers">
      <Text className="page-title">预约车位</Text>
      {booking ? <BookingPay booking={booking} /> : null}
      {!booking && chosen ? (
        <View className="card">
          <Text className="section-title">
            {chosen.title} · {yuan(chosen.priceFen)}
          </Text>
          <Text className="muted">{letInText(chosen)}</Text>
          <PlatePicker actionText={busy ? '正在预约…' : '预约并支付'} onPick={book} />
          {error ? <ErrorState error={error} /> : null}
          <Button className="btn btn-secondary" onClick={() => setChosen(undefined)}>
            换一个
          </Button>
        </View>
      ) : null}
      {!booking && !chosen ? (
        <>
          {list.length === 0 ? <Notice title="这个车场暂时没有可预约的车位" /> : null}
          {list.map((o) => (
            <OfferCard key={o.offerId} offer={o} onChoose={() => setChosen(o)} />
          ))}
          <Button className="btn btn-secondary" onClick={() => go('bookings')}>
            我的预约
          </Button>
        </>
      ) : null}
    </View>
  );
}

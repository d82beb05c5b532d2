/**
 * Booking offers and bookings of a park (4.18/4.19): put an offer on sale, see how many places are held,
 * withdraw it; the park's bookings with their status and refunds, cancel one (the whole price back); the
 * booking reconciliation with the lot's open bookings (4.19), run now or the latest.
 */
import { Button, Input, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { opBookingEndpoints, type OpBookingView, type OpOfferView } from '@shared/api/op-bookings';
import type { ResponseOf } from '@shared/api/contract';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { errorOf } from '../../../services/api';
import { dateTime, yuan } from '../../../services/format';
import { param } from '../../../services/routes';
import { areaText, cancelRuleText, letInText, refundText, STATUS_TEXT } from '../../../services/bookingText';
import { ConfirmBox, Field, Flash, OpError, OpPage, type Err } from '../components/OpUi';
import { opCall } from '../services/session';
import { CapacityCard } from './Capacity';
import { defaultOfferForm, offerBody, type OfferForm } from './form';

type Report = NonNullable<ResponseOf<typeof opBookingEndpoints.reconciliation>['report']>;

const DIFFERENCE_TEXT: Record<Report['differences'][number]['kind'], string> = {
  missing_at_lot: '车场没有这条预约',
  unknown_at_lot: '车场有、本系统没有',
  cancelled_but_open_at_lot: '已取消但车场仍有效',
  not_issued_but_open_at_lot: '未下发但车场已有',
  mismatch: '内容不一致',
};

function NewOffer({ parkNumber, onCreated }: { parkNumber: string; onCreated: (o: OpOfferView) => void }) {
  const [f, setF] = useState<OfferForm>(() => defaultOfferForm());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [created, setCreated] = useState<OpOfferView | undefined>();
  const body = offerBody(f);
  const input = (k: keyof OfferForm, label: string) => (
    <Field label={label}>
      <Input className={`op-input op-offer-${k}`} value={f[k]} onInput={(e) => setF({ ...f, [k]: e.detail.value })} />
    </Field>
  );
  const create = async () => {
    if ('error' in body) return;
    setBusy(true);
    setError(undefined);
    setCreated(undefined);
    try {
      const o = await opCall(opBookingEndpoints.createOffer, { params: { parkNumber }, body });
      setCreated(o);
      onCreated(o);
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="card op-new-offer">
      <Text className="section-title">新的预约产品</Text>
      <View className="op-grid">
        <View className="op-tile">
          {input('title', '名称')}
          {input('yuan', '价格（元）')}
          {input('count', '数量（个）')}
          {input('areaId', '区域（0 = 不限区域）')}
        </View>
        <View className="op-tile">
          {input('letInStart', '入场时间 开始（yyyy-MM-dd HH:mm）')}
          {input('letInEnd', '入场时间 结束')}
          {input('start', '预约时段 开始')}
          {input('end', '预约时段 结束')}
        </View>
        <View className="op-tile">
          {input('fullRefundMinutesBefore', '入场前多少分钟取消可全额退款')}
          {input('lateRefundPercent', '之后取消退款比例（%）')}
        </View>
      </View>
      {'error' in body ? <Text className="muted op-error-text">{body.error}</Text> : null}
      <Button className="btn btn-primary op-offer-create" disabled={busy || 'error' in body} onClick={create}>
        {busy ? '正在上架…' : '上架'}
      </Button>
      {created ? <Flash text={`已上架：${created.title}`} /> : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

function OfferRow({ o, onChanged }: { o: OpOfferView; onChanged: (o: OpOfferView) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const withdraw = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onChanged(await opCall(opBookingEndpoints.withdrawOffer, { params: { parkNumber: o.parkNumber, offerId: o.offerId }, body: {} }));
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="op-tr op-offer" id={`offer-${o.offerId}`}>
      <Text className="op-td">
        {o.title}
        {o.status === 'withdrawn' ? <Text className="op-badge op-badge-warn">已下架</Text> : <Text className="op-badge op-badge-in">在售</Text>}
      </Text>
      <Text className="op-td">{yuan(o.priceFen)}</Text>
      <Text className="op-td">{letInText(o)}</Text>
      <Text className="op-td">{areaText(o.areaId)}</Text>
      <Text className="op-td op-offer-held">
        已约 {o.held} / {o.count}
      </Text>
      <View className="op-td">
        {o.status === 'on_sale' ? (
          <Button className="btn btn-secondary btn-small op-offer-withdraw" disabled={busy} onClick={withdraw}>
            下架
          </Button>
        ) : null}
      </View>
      <Text className="muted op-td">{cancelRuleText(o.cancelRule)}</Text>
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

function BookingRow({ b, parkNumber, onChanged }: { b: OpBookingView; parkNumber: string; onChanged: (b: OpBookingView) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const cancel = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onChanged(await opCall(opBookingEndpoints.cancelBooking, { params: { parkNumber, bookingNo: b.bookingNo }, body: reason.trim() ? { reason: reason.trim() } : {} }));
      setConfirming(false);
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const cancellable = ['awaiting_payment', 'booked'].includes(b.status);
  return (
    <View className="op-tr op-booking" id={`booking-${b.bookingNo}`}>
      <Text className="op-td">{b.plate}</Text>
      <Text className="op-td">{b.title}</Text>
      <Text className="op-td">{STATUS_TEXT[b.status]}</Text>
      <Text className="op-td">
        {yuan(b.priceFen)}
        {refundText(b) ? ` · ${refundText(b)}` : ''}
      </Text>
      <Text className="op-td">{dateTime(b.createdAt)}</Text>
      <View className="op-td">
        {cancellable && !confirming ? (
          <Button className="btn btn-secondary btn-small op-booking-cancel" onClick={() => setConfirming(true)}>
            取消
          </Button>
        ) : null}
      </View>
      {b.reconciled?.issue || b.lotProblem ? <Text className="op-td op-error-text">{b.reconciled?.issue ?? b.lotProblem}</Text> : null}
      {confirming ? (
        <ConfirmBox prompt={`取消 ${b.plate} 的预约并全额退款 ${yuan(b.priceFen)}？`} confirmText="确认取消" busy={busy} onConfirm={cancel} onCancel={() => setConfirming(false)}>
          <Input className="op-input op-booking-reason" value={reason} maxlength={100} placeholder="原因（可选）" onInput={(e) => setReason(e.detail.value)} />
        </ConfirmBox>
      ) : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

function Reconciliation({ parkNumber }: { parkNumber: string }) {
  const latest = useLoader(() => opCall(opBookingEndpoints.reconciliation, { params: { parkNumber } }), [parkNumber]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      latest.set({ report: await opCall(opBookingEndpoints.reconcile, { params: { parkNumber }, body: {} }) });
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const r = latest.state === 'ok' ? latest.data.report : null;
  return (
    <View className="card op-booking-reconcile">
      <Text className="section-title">预约对账（与车场 4.19）</Text>
      {latest.state === 'loading' ? <Loading /> : null}
      {latest.state === 'error' ? <OpError error={latest.error} onRetry={latest.reload} /> : null}
      {latest.state === 'ok' && !r ? <Text className="muted">还没有对过账</Text> : null}
      {r ? (
        <>
          <Text className="muted">对账于 {dateTime(r.ranAt)}</Text>
          <Text className="op-reconcile-counts">
            车场有效 {r.lotOpen} · 本系统有效 {r.oursOpen} · 一致 {r.matched} · 已入场 {r.admitted} · 差异 {r.differences.length}
          </Text>
          {r.differences.map((d) => (
            <View key={`${d.bookOrderId}-${d.kind}`} className="op-tr">
              <Text className="op-td">{d.plate}</Text>
              <Text className="op-td op-error-text">{DIFFERENCE_TEXT[d.kind]}</Text>
              <Text className="op-td">{d.detail}</Text>
            </View>
          ))}
        </>
      ) : null}
      <Button className="btn btn-secondary btn-small op-reconcile-run" disabled={busy} onClick={run}>
        {busy ? '正在对账…' : '立即对账'}
      </Button>
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

export default function OpBookingsPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const offers = useLoader(() => opCall(opBookingEndpoints.offers, { params: { parkNumber } }), [parkNumber]);
  const bookings = useLoader(() => opCall(opBookingEndpoints.bookings, { params: { parkNumber }, query: { limit: 100 } }), [parkNumber]);
  const putOffer = (o: OpOfferView) => {
    if (offers.state !== 'ok') return offers.reload();
    const known = offers.data.offers.some((x) => x.offerId === o.offerId);
    offers.set({ offers: known ? offers.data.offers.map((x) => (x.offerId === o.offerId ? o : x)) : [...offers.data.offers, o] });
  };
  return (
    <OpPage title="预约" parkNumber={parkNumber} className="op-bookings">
      <CapacityCard parkNumber={parkNumber} />
      <NewOffer parkNumber={parkNumber} onCreated={putOffer} />
      <View className="card">
        <Text className="section-title">预约产品</Text>
        {offers.state === 'loading' ? <Loading /> : null}
        {offers.state === 'error' ? <OpError error={offers.error} onRetry={offers.reload} /> : null}
        {offers.state === 'ok' && offers.data.offers.length === 0 ? <Text className="muted">还没有预约产品</Text> : null}
        {offers.state === 'ok' ? (
          <View className="op-table">
            {offers.data.offers.map((o) => (
              <OfferRow key={o.offerId} o={o} onChanged={putOffer} />
            ))}
          </View>
        ) : null}
      </View>
      <View className="card">
        <Text className="section-title">预约记录</Text>
        <Button className="btn btn-secondary btn-small" onClick={bookings.reload}>
          刷新
        </Button>
        {bookings.state === 'loading' ? <Loading /> : null}
        {bookings.state === 'error' ? <OpError error={bookings.error} onRetry={bookings.reload} /> : null}
        {bookings.state === 'ok' && bookings.data.bookings.length === 0 ? <Text className="muted">还没有预约</Text> : null}
        {bookings.state === 'ok' ? (
          <View className="op-table">
            {bookings.data.bookings.map((b) => (
              <BookingRow
                key={b.bookingNo}
                b={b}
                parkNumber={parkNumber}
                onChanged={(c) => bookings.set({ bookings: bookings.data.bookings.map((x) => (x.bookingNo === c.bookingNo ? c : x)) })}
              />
            ))}
          </View>
        ) : null}
      </View>
      <Reconciliation parkNumber={parkNumber} />
    </OpPage>
  );
}

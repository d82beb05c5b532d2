/**
 * Booking offers and bookings of a park (4.18/4.19): put an offer on sale — the area by the names the lot
 * gives its areas, times picked, the places the lot can take beside the count, and a preview of what the
 * driver will see —, see how many places are held, withdraw it; the park's bookings with their status and
 * refunds, cancel one (the whole price back); the booking reconciliation with the lot's open bookings, run
 * now or the latest.
 */
import { Button, Input, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { opBookingEndpoints, type OpBookingView, type OpOfferView } from '@shared/api/op-bookings';
import { opParkEndpoints } from '@shared/api/op-parks';
import type { ResponseOf } from '@shared/api/contract';
import { formatChinaDate } from '@shared/time';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { dateTime, yuan } from '../../../services/format';
import { param } from '../../../services/routes';
import { cancelRuleText, letInText, refundText, STATUS_TEXT } from '../../../services/bookingText';
import { Choice, ConfirmBox, Field, Flash, OpError, OpPage, OpTable, type Err } from '../components/OpUi';
import { DateTimeField } from '../components/DateTimeField';
import { opErrorOf } from '../services/errors';
import { opCall } from '../services/session';
import { areaName, bookableFor, CapacityCard, type Capacity } from './Capacity';
import { defaultOfferForm, offerBody, type OfferBody, type OfferForm } from './form';

type Report = NonNullable<ResponseOf<typeof opBookingEndpoints.reconciliation>['report']>;

const DIFFERENCE_TEXT: Record<Report['differences'][number]['kind'], string> = {
  missing_at_lot: '车场没有这条预约',
  unknown_at_lot: '车场有、本系统没有',
  cancelled_but_open_at_lot: '已取消但车场仍有效',
  not_issued_but_open_at_lot: '未下发但车场已有',
  mismatch: '内容不一致',
};

/** What the driver will see of the offer (the card on the booking page), from the form as it is. */
export function OfferPreview({ body, areaLabel, tariffText }: { body: OfferBody; areaLabel: string; tariffText: string | null }) {
  return (
    <View className="op-preview op-offer-preview">
      <Text className="muted">车主看到的样子</Text>
      <Text className="op-preview-title">{body.title}</Text>
      <View className="row row-strong">
        <Text className="row-label">价格</Text>
        <Text className="row-value">{yuan(body.priceFen)}</Text>
      </View>
      <View className="row">
        <Text className="row-label">入场时间</Text>
        <Text className="row-value">{letInText(body)}</Text>
      </View>
      <View className="row">
        <Text className="row-label">车位保留</Text>
        <Text className="row-value">{periodText(body)}</Text>
      </View>
      <View className="row">
        <Text className="row-label">区域</Text>
        <Text className="row-value">{areaLabel}</Text>
      </View>
      <View className="row">
        <Text className="row-label">剩余</Text>
        <Text className="row-value">{body.count} 个</Text>
      </View>
      <Text className="muted">价格为预约费：在入场时间内到达即可入场，车位为你保留到 {dateTime(body.end).slice(5)}；停车费按车场收费标准另计，出场时缴纳。</Text>
      {tariffText ? <Text className="muted">收费标准：{tariffText}</Text> : null}
      <Text className="muted">{cancelRuleText(body.cancelRule)}</Text>
    </View>
  );
}

/** "11-29 08:00 – 18:00" (the date once when both ends are on one day). */
export function periodText(b: { start: string; end: string }): string {
  const s = dateTime(b.start);
  const e = dateTime(b.end);
  return s.slice(0, 10) === e.slice(0, 10) ? `${s.slice(5)} – ${e.slice(11)}` : `${s.slice(5)} – ${e.slice(5)}`;
}

/** The new offer's form, the body it makes (or what is wrong with it), and putting it on sale. */
function useNewOffer(parkNumber: string, onCreated: (o: OpOfferView) => void) {
  const [f, setF] = useState<OfferForm>(() => defaultOfferForm());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [created, setCreated] = useState<OpOfferView | undefined>();
  const body = offerBody(f);
  const set = (k: keyof OfferForm, v: string) => {
    setCreated(undefined);
    setF((x) => ({ ...x, [k]: v }));
  };
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
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return { f, set, body, busy, error, created, create };
}

/** How many to sell, said against how many the lot can take now in the chosen area. */
function CountField({ f, set, cap }: { f: OfferForm; set: (k: keyof OfferForm, v: string) => void; cap: Capacity | undefined }) {
  const areaId = Number(f.areaId);
  const bookable = bookableFor(areaId, cap);
  const count = Number(f.count);
  return (
    <Field label="数量（个）">
      <Input className="op-input op-offer-count" type="number" value={f.count} onInput={(e) => set('count', e.detail.value)} />
      <Text className={`op-capacity-note${bookable !== undefined && count > bookable ? ' op-error-text' : ''}`}>
        {bookable === undefined
          ? '车场还没有上报可预约车位，暂时售不出去'
          : `${areaName(areaId, cap?.areas ?? [])}现在可预约 ${bookable} 个${count > bookable ? `，多出的 ${count - bookable} 个要等车场有空位才能售出` : ''}`}
      </Text>
    </Field>
  );
}

function NewOffer({ parkNumber, cap, tariffText, onCreated }: { parkNumber: string; cap: Capacity | undefined; tariffText: string | null; onCreated: (o: OpOfferView) => void }) {
  const { f, set, body, busy, error, created, create } = useNewOffer(parkNumber, onCreated);
  const input = (k: keyof OfferForm, label: string, hint?: string, type: 'text' | 'number' | 'digit' = 'text') => (
    <Field label={label} hint={hint}>
      <Input className={`op-input op-offer-${k}`} type={type} value={f[k]} onInput={(e) => set(k, e.detail.value)} />
    </Field>
  );
  const when = (k: 'letInStart' | 'letInEnd' | 'start' | 'end', label: string) => (
    <Field label={label}>
      <DateTimeField className={`op-offer-${k}`} value={f[k]} start={formatChinaDate(Date.now())} onChange={(v) => set(k, v)} />
    </Field>
  );
  const areas = cap?.areas ?? [];
  return (
    <View className="card op-new-offer">
      <Text className="section-title">新的预约产品</Text>
      <View className="op-grid">
        <View className="op-tile">
          {input('title', '名称', '车主在预约页看到的名称，例如“工作日早高峰”。')}
          {input('yuan', '价格（元）', '预约费，不含停车费；停车费出场时按车场标准另计。', 'digit')}
          <Field label="区域" hint={areas.length ? '车场上报的区域；“不限区域”可停任一区域。' : '车场还没有上报区域，只能选“不限区域”。'}>
            <Choice
              className="op-offer-area"
              value={f.areaId}
              options={[{ value: '0', label: '不限区域' }, ...areas.map((a) => ({ value: String(a.areaId), label: a.name || `区域 ${a.areaId}` }))]}
              onChange={(v) => set('areaId', v)}
            />
          </Field>
          <CountField f={f} set={set} cap={cap} />
        </View>
        <View className="op-tile">
          {when('letInStart', '入场时间 开始')}
          {when('letInEnd', '入场时间 结束')}
          {when('start', '车位保留 开始')}
          {when('end', '车位保留 结束')}
          <Text className="op-field-hint">车主在入场时间内到达，道闸直接抬起；车位在保留时段内为其留着。</Text>
        </View>
        <View className="op-tile">
          {input('fullRefundMinutesBefore', '入场前多少分钟取消可全额退款', undefined, 'number')}
          {input('lateRefundPercent', '之后取消退款比例（%）', '0 表示之后取消不退款。', 'number')}
        </View>
      </View>
      {'error' in body ? <Text className="muted op-error-text op-offer-problem">{body.error}</Text> : <OfferPreview body={body} areaLabel={areaName(body.areaId, areas)} tariffText={tariffText} />}
      <Button className="btn btn-primary op-offer-create" disabled={busy || 'error' in body} onClick={create}>
        {busy ? '正在上架…' : '上架'}
      </Button>
      {created ? <Flash text={`已上架：${created.title}`} /> : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

function OfferRow({ o, areas, onChanged }: { o: OpOfferView; areas: Capacity['areas'] | undefined; onChanged: (o: OpOfferView) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const withdraw = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onChanged(await opCall(opBookingEndpoints.withdrawOffer, { params: { parkNumber: o.parkNumber, offerId: o.offerId }, body: {} }));
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="op-row op-offer" id={`offer-${o.offerId}`}>
      <View className="op-tr">
        <Text className="op-td op-td-wide">
          {o.title}
          {o.status === 'withdrawn' ? <Text className="op-badge op-badge-warn">已下架</Text> : <Text className="op-badge op-badge-in">在售</Text>}
        </Text>
        <Text className="op-td">{yuan(o.priceFen)}</Text>
        <Text className="op-td op-td-wide">{letInText(o)}</Text>
        <Text className="op-td">{areaName(o.areaId, areas)}</Text>
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
      </View>
      {error ? (
        <View className="op-row-extra">
          <OpError error={error} />
        </View>
      ) : null}
    </View>
  );
}

/** Why a cancellation did not reach the lot, or what reconciliation found, in words. */
export function bookingIssueText(b: Pick<OpBookingView, 'reconciled' | 'lotProblem'>): string | undefined {
  const issue = b.reconciled?.issue;
  if (issue) return `对账：${DIFFERENCE_TEXT[issue as keyof typeof DIFFERENCE_TEXT] ?? '与车场不一致'}`;
  return b.lotProblem ?? undefined;
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
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const cancellable = ['awaiting_payment', 'booked'].includes(b.status);
  const issue = bookingIssueText(b);
  return (
    <View className="op-row op-booking" id={`booking-${b.bookingNo}`}>
      <View className="op-tr">
        <Text className="op-td op-nowrap">{b.plate}</Text>
        <Text className="op-td">{b.title}</Text>
        <Text className="op-td">
          {STATUS_TEXT[b.status]}
          {issue ? <Text className="op-error-text op-booking-issue">{issue}</Text> : null}
        </Text>
        <Text className="op-td">
          {yuan(b.priceFen)}
          {refundText(b) ? ` · ${refundText(b)}` : ''}
        </Text>
        <Text className="op-td op-nowrap">{dateTime(b.createdAt).slice(5)}</Text>
        <View className="op-td">
          {cancellable && !confirming ? (
            <Button className="btn btn-secondary btn-small op-booking-cancel" onClick={() => setConfirming(true)}>
              取消
            </Button>
          ) : null}
        </View>
      </View>
      {confirming || error ? (
        <View className="op-row-extra">
          {confirming ? (
            <ConfirmBox prompt={`取消 ${b.plate} 的预约并全额退款 ${yuan(b.priceFen)}？`} confirmText="确认取消" busy={busy} onConfirm={cancel} onCancel={() => setConfirming(false)}>
              <Input className="op-input op-booking-reason" value={reason} maxlength={100} placeholder="原因（可选）" onInput={(e) => setReason(e.detail.value)} />
            </ConfirmBox>
          ) : null}
          {error ? <OpError error={error} /> : null}
        </View>
      ) : null}
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
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const r = latest.state === 'ok' ? latest.data.report : null;
  return (
    <View className="card op-booking-reconcile">
      <Text className="section-title">预约对账（与车场核对）</Text>
      <Text className="muted">核对 ParkPay 的预约与车场的有效预约，每 10 分钟自动核对一次。</Text>
      {latest.state === 'loading' ? <Loading /> : null}
      {latest.state === 'error' ? <OpError error={latest.error} onRetry={latest.reload} /> : null}
      {latest.state === 'ok' && !r ? <Text className="muted">还没有对过账</Text> : null}
      {r ? (
        <>
          <Text className="muted">对账于 {dateTime(r.ranAt)}</Text>
          <Text className="op-reconcile-counts">
            车场有效 {r.lotOpen} · 本系统有效 {r.oursOpen} · 一致 {r.matched} · 已入场 {r.admitted} · 差异 {r.differences.length}
          </Text>
          {r.differences.length ? (
            <OpTable head={['车牌', '差异', ['说明', 'wide']]} minWidth={880}>
              {r.differences.map((d) => (
                <View key={`${d.bookOrderId}-${d.kind}`} className="op-tr">
                  <Text className="op-td op-nowrap">{d.plate}</Text>
                  <Text className="op-td op-error-text">{DIFFERENCE_TEXT[d.kind]}</Text>
                  <Text className="op-td op-td-wide">{d.detail}</Text>
                </View>
              ))}
            </OpTable>
          ) : null}
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
  const cap = useLoader(() => opCall(opBookingEndpoints.capacity, { params: { parkNumber } }), [parkNumber]);
  const park = useLoader(() => opCall(opParkEndpoints.park, { params: { parkNumber } }), [parkNumber]);
  const capacity = cap.state === 'ok' ? cap.data : undefined;
  const putOffer = (o: OpOfferView) => {
    cap.reload();
    if (offers.state !== 'ok') return offers.reload();
    const known = offers.data.offers.some((x) => x.offerId === o.offerId);
    offers.set({ offers: known ? offers.data.offers.map((x) => (x.offerId === o.offerId ? o : x)) : [...offers.data.offers, o] });
  };
  return (
    <OpPage title="预约" parkNumber={parkNumber} className="op-bookings">
      <CapacityCard cap={cap} />
      <NewOffer parkNumber={parkNumber} cap={capacity} tariffText={park.state === 'ok' ? (park.data.settings.service?.tariffText ?? null) || null : null} onCreated={putOffer} />
      <View className="card">
        <Text className="section-title">预约产品</Text>
        {offers.state === 'loading' ? <Loading /> : null}
        {offers.state === 'error' ? <OpError error={offers.error} onRetry={offers.reload} /> : null}
        {offers.state === 'ok' && offers.data.offers.length === 0 ? <Text className="muted">还没有预约产品</Text> : null}
        {offers.state === 'ok' && offers.data.offers.length ? (
          <OpTable head={[['名称', 'wide'], '价格', ['入场时间', 'wide'], '区域', '已约 / 数量', '']} minWidth={1300}>
            {offers.data.offers.map((o) => (
              <OfferRow key={o.offerId} o={o} areas={capacity?.areas} onChanged={putOffer} />
            ))}
          </OpTable>
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
        {bookings.state === 'ok' && bookings.data.bookings.length ? (
          <OpTable head={['车牌', '产品', '状态', '金额', '下单时间', '']} minWidth={1100}>
            {bookings.data.bookings.map((b) => (
              <BookingRow
                key={b.bookingNo}
                b={b}
                parkNumber={parkNumber}
                onChanged={(c) => bookings.set({ bookings: bookings.data.bookings.map((x) => (x.bookingNo === c.bookingNo ? c : x)) })}
              />
            ))}
          </OpTable>
        ) : null}
      </View>
      <Reconciliation parkNumber={parkNumber} />
    </OpPage>
  );
}

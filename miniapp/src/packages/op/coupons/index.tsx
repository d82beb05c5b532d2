/**
 * Coupons (4.23): give a car in the park an hour or money coupon, see what the lot made of it, list the
 * park's coupons (merchants: theirs), revoke one the lot never confirmed, send an unconfirmed one again.
 * A double tap or a retry after a lost answer sends the same requestId: the same coupon, never two.
 * Fixed codes for the booth scanner (4.24): FixedCodes.tsx.
 */
import { Button, Input, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useRef, useState } from 'react';
import { opCouponEndpoints, type CouponView } from '@shared/api/op-coupons';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { dateTime, duration, yuan } from '../../../services/format';
import { param } from '../../../services/routes';
import { Choice, Field, Flash, OpError, OpPage, OpTable, type Err } from '../components/OpUi';
import { opErrorOf } from '../services/errors';
import { opCall } from '../services/session';
import { FixedCodes } from './FixedCodes';
import { amountOf, EMPTY_FORM, newRequestId, type CouponForm } from './form';

export const STATUS_TEXT: Record<CouponView['status'], string> = {
  issuing: '正在发送',
  at_lot: '车场已接收',
  unconfirmed: '车场未确认（将自动重发）',
  refused: '车场拒绝',
  used_at_exit: '出口已抵扣',
  revoked: '已撤销',
};

export function couponAmount(c: Pick<CouponView, 'kind' | 'minutes' | 'fen'>): string {
  return c.kind === 'hours' ? `${duration(c.minutes ?? 0)}停车券` : `${yuan(c.fen ?? 0)} 停车券`;
}

function GiveCoupon({ parkNumber, onGiven }: { parkNumber: string; onGiven: (c: CouponView) => void }) {
  const [form, setForm] = useState<CouponForm>(EMPTY_FORM);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [given, setGiven] = useState<CouponView | undefined>();
  // One requestId per attempt: kept until the coupon is given or the form changes.
  const requestId = useRef<string>(newRequestId());
  const set = <K extends keyof CouponForm>(k: K, v: CouponForm[K]) => {
    requestId.current = newRequestId();
    setForm((f) => ({ ...f, [k]: v }));
  };
  const amount = amountOf(form);
  const plate = form.plate.trim();
  const give = async () => {
    if ('error' in amount || !plate || busy) return;
    setBusy(true);
    setError(undefined);
    setGiven(undefined);
    try {
      const c = await opCall(opCouponEndpoints.issue, {
        params: { parkNumber },
        body: { requestId: requestId.current, plate, ...amount, ...(form.memo.trim() ? { memo: form.memo.trim() } : {}) },
      });
      setGiven(c);
      onGiven(c);
      requestId.current = newRequestId();
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="card op-give">
      <Text className="section-title">发放停车券</Text>
      <Field label="车牌（在场车辆）">
        <Input className="op-input op-coupon-plate" value={form.plate} maxlength={20} placeholder="例如 京A12345" onInput={(e) => set('plate', e.detail.value)} />
      </Field>
      <Field label="类型">
        <Choice
          className="op-coupon-kind"
          value={form.kind}
          options={[
            { value: 'hours', label: '时长券' },
            { value: 'money', label: '金额券' },
          ]}
          onChange={(k) => set('kind', k)}
        />
      </Field>
      {form.kind === 'hours' ? (
        <Field label="减免时长（分钟）">
          <Choice className="op-coupon-presets" value={form.minutes} options={['30', '60', '120', '240'].map((m) => ({ value: m, label: duration(Number(m)) }))} onChange={(m) => set('minutes', m)} />
          <Input className="op-input op-coupon-minutes" type="number" value={form.minutes} onInput={(e) => set('minutes', e.detail.value)} />
        </Field>
      ) : (
        <Field label="减免金额（元）">
          <Input className="op-input op-coupon-yuan" type="digit" value={form.yuan} placeholder="例如 5 或 2.50" onInput={(e) => set('yuan', e.detail.value)} />
        </Field>
      )}
      <Field label="备注（可选）">
        <Input className="op-input op-coupon-memo" value={form.memo} maxlength={100} onInput={(e) => set('memo', e.detail.value)} />
      </Field>
      {'error' in amount ? <Text className="muted op-error-text">{amount.error}</Text> : null}
      <Button className="btn btn-primary op-coupon-give" disabled={busy || !plate || 'error' in amount} onClick={give}>
        {busy ? '正在发放…' : '发放'}
      </Button>
      {given ? (
        given.status === 'refused' ? (
          <Flash tone="warn" text={`车场拒绝了这张券：${given.refusal ?? '未说明原因'}`} />
        ) : (
          <Flash tone={given.status === 'at_lot' ? 'ok' : 'warn'} text={`已发放给 ${given.plate}：${couponAmount(given)} · ${STATUS_TEXT[given.status]}`} />
        )
      ) : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

function CouponRow({ c, onChanged }: { c: CouponView; onChanged: (c: CouponView) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const act = async (endpoint: typeof opCouponEndpoints.revoke | typeof opCouponEndpoints.redeliver) => {
    setBusy(true);
    setError(undefined);
    try {
      onChanged(await opCall(endpoint, { params: { parkNumber: c.parkNumber, couponCode: c.couponCode } }));
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const revocable = c.status === 'issuing' || c.status === 'unconfirmed';
  return (
    <View className="op-row op-coupon" id={`coupon-${c.couponCode}`}>
      <View className="op-tr">
        <Text className="op-td op-nowrap">{c.plate}</Text>
        <Text className="op-td">{couponAmount(c)}</Text>
        <Text className={`op-td op-td-wide op-coupon-status-${c.status}`}>
          {STATUS_TEXT[c.status]}
          {c.refusal ? `：${c.refusal}` : ''}
        </Text>
        <Text className="op-td">{c.issuer.displayName ?? c.issuer.username}</Text>
        <Text className="op-td op-nowrap">{dateTime(c.createdAt).slice(5)}</Text>
        <View className="op-td op-actions">
          {c.status === 'unconfirmed' ? (
            <Button className="btn btn-secondary btn-small op-coupon-redeliver" disabled={busy} onClick={() => act(opCouponEndpoints.redeliver)}>
              重发
            </Button>
          ) : null}
          {revocable ? (
            <Button className="btn btn-secondary btn-small op-coupon-revoke" disabled={busy} onClick={() => act(opCouponEndpoints.revoke)}>
              撤销
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

export default function OpCouponsPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const [plateFilter, setPlateFilter] = useState('');
  const [query, setQuery] = useState<string | undefined>();
  const list = useLoader(() => opCall(opCouponEndpoints.list, { params: { parkNumber }, query: { plate: query, limit: 100 } }), [parkNumber, query]);
  const replace = (c: CouponView) => {
    if (list.state !== 'ok') return list.reload();
    const rest = list.data.coupons.filter((x) => x.couponCode !== c.couponCode);
    const at = list.data.coupons.findIndex((x) => x.couponCode === c.couponCode);
    list.set({ coupons: at < 0 ? [c, ...rest] : list.data.coupons.map((x) => (x.couponCode === c.couponCode ? c : x)) });
  };
  return (
    <OpPage title="停车券" parkNumber={parkNumber} className="op-coupons">
      <GiveCoupon parkNumber={parkNumber} onGiven={replace} />
      <View className="card">
        <Text className="section-title">已发放的券</Text>
        <View className="op-actions">
          <Input className="op-input op-coupon-filter" value={plateFilter} placeholder="按车牌筛选" onInput={(e) => setPlateFilter(e.detail.value)} />
          <Button className="btn btn-secondary btn-small" onClick={() => setQuery(plateFilter.trim() || undefined)}>
            筛选
          </Button>
        </View>
        {list.state === 'loading' ? <Loading /> : null}
        {list.state === 'error' ? <OpError error={list.error} onRetry={list.reload} /> : null}
        {list.state === 'ok' && list.data.coupons.length === 0 ? <Text className="muted">还没有停车券</Text> : null}
        {list.state === 'ok' && list.data.coupons.length ? (
          <OpTable head={['车牌', '券', ['状态', 'wide'], '发放人', '发放时间', '']} minWidth={1100} className="op-coupon-list">
            {list.data.coupons.map((c) => (
              <CouponRow key={c.couponCode} c={c} onChanged={replace} />
            ))}
          </OpTable>
        ) : null}
      </View>
      <FixedCodes parkNumber={parkNumber} />
    </OpPage>
  );
}

/**
 * Fixed coupon codes (4.24): a code a shop prints as a QR or bar code; the booth scanner at the exit reads
 * it and the stay gets the coupon once. Make one (amount, days, at most so many stays), see the park's codes
 * (merchants: theirs) with their uses, stop one or start it again.
 */
import { Button, Input, Text, View } from '@tarojs/components';
import { useState } from 'react';
import { opCouponEndpoints, type FixedCodeView } from '@shared/api/op-coupons';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { dateTime, duration } from '../../../services/format';
import { Choice, Field, Flash, OpError, OpTable, type Err } from '../components/OpUi';
import { opErrorOf } from '../services/errors';
import { opCall } from '../services/session';
import { EMPTY_FIXED, fixedAmount as couponAmount, fixedBody, type FixedForm } from './fixed';
import { serverNow } from '../../../services/serverClock';

function NewFixedCode({ parkNumber, onCreated }: { parkNumber: string; onCreated: (f: FixedCodeView) => void }) {
  const [form, setForm] = useState<FixedForm>(EMPTY_FIXED);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [made, setMade] = useState<FixedCodeView | undefined>();
  const set = <K extends keyof FixedForm>(k: K, v: FixedForm[K]) => {
    setMade(undefined);
    setForm((f) => ({ ...f, [k]: v }));
  };
  const checked = fixedBody(form);
  const create = async () => {
    if (busy) return;
    const now = fixedBody(form); // the end from the moment of the tap
    if (!('body' in now)) return;
    setBusy(true);
    setError(undefined);
    try {
      const f = await opCall(opCouponEndpoints.createFixed, { params: { parkNumber }, body: now.body });
      setMade(f);
      setForm(EMPTY_FIXED);
      onCreated(f);
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="op-new-fixed">
      <Field label="类型">
        <Choice
          className="op-fixed-kind"
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
          <Input className="op-input op-fixed-minutes" type="number" value={form.minutes} onInput={(e) => set('minutes', e.detail.value)} />
        </Field>
      ) : (
        <Field label="减免金额（元）">
          <Input className="op-input op-fixed-yuan" type="digit" value={form.yuan} placeholder="例如 5 或 2.50" onInput={(e) => set('yuan', e.detail.value)} />
        </Field>
      )}
      <Field label="有效天数（最多 90 天）">
        <Input className="op-input op-fixed-days" type="number" value={form.days} onInput={(e) => set('days', e.detail.value)} />
      </Field>
      <Field label="最多使用次数（留空不限）">
        <Input className="op-input op-fixed-max-uses" type="number" value={form.maxUses} onInput={(e) => set('maxUses', e.detail.value)} />
      </Field>
      <Field label="名称（可选，例如 咖啡店满 50 元）">
        <Input className="op-input op-fixed-label" value={form.label} maxlength={60} onInput={(e) => set('label', e.detail.value)} />
      </Field>
      {'error' in checked ? <Text className="muted op-error-text">{checked.error}</Text> : null}
      <Button className="btn btn-primary op-fixed-create" disabled={busy || 'error' in checked} onClick={create}>
        {busy ? '正在生成…' : '生成固定券码'}
      </Button>
      {made ? <Flash text={`券码 ${made.code}：${couponAmount(made)}，${dateTime(made.end)} 前有效`} /> : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

function FixedRow({ f, onChanged }: { f: FixedCodeView; onChanged: (f: FixedCodeView) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const toggle = async () => {
    setBusy(true);
    setError(undefined);
    try {
      onChanged(await opCall(f.disabled ? opCouponEndpoints.enableFixed : opCouponEndpoints.disableFixed, { params: { parkNumber: f.parkNumber, code: f.code } }));
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const expired = Date.parse(f.end) <= serverNow();
  const used = f.maxUses !== null && f.uses >= f.maxUses;
  const state = f.disabled ? '已停用' : expired ? '已过期' : used ? '次数已用完' : '可使用';
  return (
    <View className="op-row op-fixed" id={`fixed-${f.code}`}>
      <View className="op-tr">
        <Text className="op-td op-td-wide op-fixed-code op-nowrap">{f.code}</Text>
        <Text className="op-td op-td-wide">
          {couponAmount(f)}
          {f.label ? ` · ${f.label}` : ''}
        </Text>
        <Text className="op-td">
          {f.uses}
          {f.maxUses !== null ? ` / ${f.maxUses}` : '（不限）'} 次
        </Text>
        <Text className="op-td op-nowrap">{dateTime(f.end).slice(5)}</Text>
        <Text className={`op-td op-fixed-state${f.disabled || expired || used ? ' op-error-text' : ''}`}>{state}</Text>
        <View className="op-td op-actions">
          {expired ? null : (
            <Button className={`btn btn-secondary btn-small ${f.disabled ? 'op-fixed-enable' : 'op-fixed-disable'}`} disabled={busy} onClick={toggle}>
              {f.disabled ? '启用' : '停用'}
            </Button>
          )}
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

export function FixedCodes({ parkNumber }: { parkNumber: string }) {
  const list = useLoader(() => opCall(opCouponEndpoints.listFixed, { params: { parkNumber } }), [parkNumber]);
  const put = (f: FixedCodeView) => {
    if (list.state !== 'ok') return list.reload();
    const known = list.data.codes.some((x) => x.code === f.code);
    list.set({ codes: known ? list.data.codes.map((x) => (x.code === f.code ? f : x)) : [f, ...list.data.codes] });
  };
  return (
    <View className="card op-fixed-codes">
      <Text className="section-title">固定券码（出口岗亭扫码）</Text>
      <Text className="muted">商户打印成二维码或条码，车主离场时在岗亭扫码，本次停车享受一次优惠。时长券最多 {duration(7 * 24 * 60)}。</Text>
      <NewFixedCode parkNumber={parkNumber} onCreated={put} />
      {list.state === 'loading' ? <Loading /> : null}
      {list.state === 'error' ? <OpError error={list.error} onRetry={list.reload} /> : null}
      {list.state === 'ok' && list.data.codes.length === 0 ? <Text className="muted">还没有固定券码</Text> : null}
      {list.state === 'ok' && list.data.codes.length ? (
        <OpTable head={[['券码', 'wide'], ['券', 'wide'], '已用', '有效至', '状态', '']} minWidth={1300} className="op-fixed-list">
          {list.data.codes.map((f) => (
            <FixedRow key={f.code} f={f} onChanged={put} />
          ))}
        </OpTable>
      ) : null}
    </View>
  );
}

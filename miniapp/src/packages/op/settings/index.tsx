/**
 * A park's settings, each as it applies now (the park's own value, or the default — said so) with one line
 * on what it changes for drivers or for the lot: name, the lane screen's payment code, when a withholding
 * payment opens the barrier, the entry rules for blacklisted and booked cars, the tariff and service
 * information drivers read (lane page, pre-pay page, lane poster) and the address they find the park by; admins also the Bluecard URL and a new
 * key (never shown).
 */
import { Button, Input, Text, Textarea, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { opParkEndpoints, type OpParkView } from '@shared/api/op-parks';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { param } from '../../../services/routes';
import { Choice, Field, Flash, OpError, OpPage, type Err } from '../components/OpUi';
import { opErrorOf } from '../services/errors';
import { opCall, opSession } from '../services/session';
import { formOf, formProblem, parkChanges, type ParkForm } from './form';

const ONOFF = [
  { value: 'on', label: '开启' },
  { value: 'off', label: '关闭' },
] as const;

/** "默认" beside a setting the park has not set (it takes ParkPay's default). */
const defaultTag = (p: OpParkView, key: string) => (p.effective.defaulted.includes(key) ? '默认' : undefined);

type SetField = <K extends keyof ParkForm>(k: K, v: ParkForm[K]) => void;

/** The form's state: what the operator typed, what is wrong with it, the changes it would save, saving them. */
function useSettingsForm(park: OpParkView, admin: boolean, onSaved: (p: OpParkView) => void) {
  const [form, setForm] = useState<ParkForm>(formOf(park));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [saved, setSaved] = useState(false);
  useEffect(() => setForm(formOf(park)), [park]);
  const set: SetField = (k, v) => {
    setSaved(false);
    setForm((f) => ({ ...f, [k]: v }));
  };
  const problem = formProblem(form);
  const changes = problem ? undefined : parkChanges(park, form, admin);
  const save = async () => {
    if (!changes) return;
    setBusy(true);
    setError(undefined);
    try {
      onSaved(await opCall(opParkEndpoints.updatePark, { params: { parkNumber: park.parkNumber }, body: changes }));
      setSaved(true);
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return { form, set, problem, changes, save, busy, error, saved };
}

/** One card of the form: the park as it applies now, what the operator typed, and the way to change it. */
interface SectionProps {
  park: OpParkView;
  form: ParkForm;
  set: SetField;
}

/** Name and address. */
function BasicSection({ form, set }: SectionProps) {
  return (
    <View className="card op-settings">
      <Text className="section-title">基本</Text>
      <Field label="车场名称" hint="车主在扫码页、缴费页和车道海报上看到的名称。">
        <Input className="op-input op-park-name" value={form.name} maxlength={64} onInput={(e) => set('name', e.detail.value)} />
      </Field>
      <Field label="车场地址" hint="车主在车场列表里按地址找到车场，车场页上也显示；留空则不显示。">
        <Input className="op-input op-address" value={form.address} maxlength={200} placeholder="例如：上海市黄浦区南京东路 1 号" onInput={(e) => set('address', e.detail.value)} />
      </Field>
    </View>
  );
}

/** The lane screen's payment code, when a withholding payment opens the barrier, its limits, the entry rules. */
function LaneSection({ park, form, set }: SectionProps) {
  return (
    <View className="card op-settings-lane">
      <Text className="section-title">车道与放行</Text>
      <Field label="车道屏付款码" tag={defaultTag(park, 'laneQrProvider')} hint="车主没有开通无感支付时，出口车道屏上显示哪家的付款码。">
        {park.effective.laneQrProvider === null ? <Text className="op-error-text">服务器还没有配置微信支付或支付宝，车道屏暂不能显示付款码。</Text> : null}
        <Choice
          className="op-lane-qr"
          value={form.laneQrProvider}
          options={[
            { value: 'wechat', label: '微信支付' },
            { value: 'alipay', label: '支付宝' },
          ]}
          onChange={(v) => set('laneQrProvider', v)}
        />
      </Field>
      <Field
        label="无感支付何时抬杆"
        tag={defaultTag(park, 'channelPayPolicy')}
        hint="车主开通了无感支付时：等钱到账再抬杆，或微信支付受理并担保扣款后立即抬杆（更快，扣款结果稍后确认）。"
      >
        <Choice
          className="op-channel-policy"
          value={form.channelPayPolicy}
          options={[
            { value: 'secured', label: '钱到账才抬杆' },
            { value: 'accepted', label: '支付方担保即抬杆' },
          ]}
          onChange={(v) => set('channelPayPolicy', v)}
        />
      </Field>
      <Field label="无感支付单笔上限（元）" tag={defaultTag(park, 'withholding.maxPerDeductionFen')} hint="出口一次最多从车主的无感支付扣这么多；超过的请车主扫码支付。">
        <Input className="op-input op-max-per-deduction" type="digit" value={form.maxPerDeduction} onInput={(e) => set('maxPerDeduction', e.detail.value)} />
      </Field>
      <Field label="无感支付每日上限（元）" tag={defaultTag(park, 'withholding.maxPerDayFen')} hint="同一个无感支付协议一天内最多被扣这么多（各车场合计）；超过后当天改为扫码支付。">
        <Input className="op-input op-max-per-day" type="digit" value={form.maxPerDay} onInput={(e) => set('maxPerDay', e.detail.value)} />
      </Field>
      <Field label="黑名单车辆禁止入场" tag={defaultTag(park, 'openGate.blacklist')} hint="开启后，黑名单上的车辆到入口不开闸，车道屏显示拉黑原因。">
        <Choice className="op-gate-blacklist" value={form.blacklistGate ? 'on' : 'off'} options={ONOFF} onChange={(v) => set('blacklistGate', v === 'on')} />
      </Field>
      <Field label="预约车辆自动开闸" tag={defaultTag(park, 'openGate.bookings')} hint="开启后，已预约的车辆在入场时间内到达入口，道闸直接抬起。">
        <Choice className="op-gate-bookings" value={form.bookingsGate ? 'on' : 'off'} options={ONOFF} onChange={(v) => set('bookingsGate', v === 'on')} />
      </Field>
    </View>
  );
}

/** What drivers read: the tariff, free minutes, minutes to leave after paying, the service phone. */
function ServiceSection({ form, set }: SectionProps) {
  const text = (k: 'freeMinutes' | 'paidFreeMinutes' | 'phone', className: string, placeholder: string, type: 'number' | 'text' = 'text') => (
    <Input className={`op-input ${className}`} type={type} value={form[k]} placeholder={placeholder} onInput={(e) => set(k, e.detail.value)} />
  );
  return (
    <View className="card op-settings-service">
      <Text className="section-title">收费标准与服务</Text>
      <Text className="muted">车主在扫码页、缴费页和车道海报上看到这些说明；实际费用始终以车场计费为准。</Text>
      <Field label="收费标准说明" hint={`${form.tariffText.trim().length} / 500 字。留空则不显示。`}>
        <Textarea
          className="op-input op-tariff"
          value={form.tariffText}
          maxlength={500}
          placeholder="例如：小型车首小时 5 元，之后每小时 2 元，每日最高 30 元"
          onInput={(e) => set('tariffText', e.detail.value)}
        />
      </Field>
      <Field label="免费时长（分钟）" hint="入场后多少分钟内免费，展示给车主；车场规则没有免费时间就填 0，留空则不显示。">
        {text('freeMinutes', 'op-free-minutes', '例如 15', 'number')}
      </Field>
      <Field label="缴费后离场时间（分钟）" hint="缴费后多少分钟内要离场，超时需补缴；留空则按车场每次告诉车主的时间。">
        {text('paidFreeMinutes', 'op-paid-free-minutes', '例如 15', 'number')}
      </Field>
      <Field label="服务电话" hint="车主遇到问题时拨打，显示在扫码页和车道海报上；留空则不显示。">
        {text('phone', 'op-phone', '例如 010-88886666')}
      </Field>
    </View>
  );
}

/** The Bluecard URL and a new key (admins only; the key is never shown). */
function BluecardSection({ park, form, set }: SectionProps) {
  return (
    <View className="card op-settings-bluecard">
      <Text className="section-title">蓝卡对接（平台管理员）</Text>
      <Field label="蓝卡云地址" hint="ParkPay 调用这个车场蓝卡系统的地址，由蓝卡提供。">
        <Input className="op-input op-bluecard-url" value={form.bluecardBaseUrl} onInput={(e) => set('bluecardBaseUrl', e.detail.value)} />
      </Field>
      <Field label="蓝卡密钥" tag={park.hasKey ? '已设置' : '未设置'} hint="双方校验签名用，由蓝卡提供；只能设置新的，不会显示。留空保持不变。">
        <Input className="op-input op-bluecard-key" password value={form.key} placeholder="输入新密钥" onInput={(e) => set('key', e.detail.value)} />
      </Field>
    </View>
  );
}

function SettingsForm({ park, admin, onSaved }: { park: OpParkView; admin: boolean; onSaved: (p: OpParkView) => void }) {
  const { form, set, problem, changes, save, busy, error, saved } = useSettingsForm(park, admin, onSaved);
  const section = { park, form, set };
  return (
    <>
      <BasicSection {...section} />
      <LaneSection {...section} />
      <ServiceSection {...section} />
      {admin ? <BluecardSection {...section} /> : null}

      <View className="op-actions">
        <Button className="btn btn-primary op-save" disabled={busy || !changes} onClick={save}>
          {busy ? '正在保存…' : '保存设置'}
        </Button>
        {!problem && !changes && !saved ? <Text className="muted">没有改动</Text> : null}
      </View>
      {problem ? <Text className="op-error-text op-settings-problem">{problem}</Text> : null}
      {saved ? <Flash text="已保存" /> : null}
      {error ? <OpError error={error} /> : null}
    </>
  );
}

export default function OpSettingsPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const park = useLoader(() => opCall(opParkEndpoints.park, { params: { parkNumber } }), [parkNumber]);
  const role = opSession()?.operator.role;
  return (
    <OpPage title="车场设置" parkNumber={parkNumber} className="op-settings-page">
      {park.state === 'loading' ? <Loading /> : null}
      {park.state === 'error' ? <OpError error={park.error} onRetry={park.reload} /> : null}
      {park.state === 'ok' ? <SettingsForm park={park.data} admin={role === 'admin'} onSaved={park.set} /> : null}
    </OpPage>
  );
}

/**
 * One park: what there is to do (lanes and their QR codes, spaces, find a car, …) and its settings (name,
 * 4.16 lane QR provider, 4.27 channel-pay policy, 4.28 open-gate rules; admins also the Bluecard URL and a
 * new key, which is never shown).
 */
import { Button, Input, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { opParkEndpoints, type OpParkView } from '@shared/api/op-parks';
import type { OperatorRoleName } from '@shared/api/op-accounts';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { errorOf } from '../../../services/api';
import { param } from '../../../services/routes';
import { Choice, Field, Flash, OpError, OpPage, type Err } from '../components/OpUi';
import { goOp, type OpPageName } from '../services/routes';
import { opCall, opSession } from '../services/session';
import { formOf, parkChanges, type ParkForm } from './form';

interface Section {
  page: OpPageName;
  title: string;
  hint: string;
  roles: readonly OperatorRoleName[];
}

const STAFF = ['admin', 'operator'] as const;
export const SECTIONS: readonly Section[] = [
  { page: 'lanes', title: '车道与二维码', hint: '车道名称、二维码、海报、远程抬杆', roles: STAFF },
  { page: 'spaces', title: '车位', hint: '各楼层车位占用', roles: STAFF },
  { page: 'cars', title: '找车 · 停车记录', hint: '车辆位置、进出记录和照片', roles: STAFF },
  { page: 'coupons', title: '停车券', hint: '给在场车辆发放时长券、金额券', roles: ['admin', 'operator', 'merchant'] },
  { page: 'lists', title: '黑白名单', hint: '白名单、黑名单，CSV 批量导入', roles: STAFF },
  { page: 'bookings', title: '预约', hint: '预约产品、预约记录、与车场对账', roles: STAFF },
  { page: 'reconcile', title: '对账', hint: '每日对账、差异、CSV 导出、收入图表', roles: STAFF },
  { page: 'invoices', title: '电子发票', hint: '开票进度、红冲、重新发送', roles: STAFF },
  { page: 'audit', title: '操作日志', hint: '谁在什么时候做了什么', roles: STAFF },
];

const ONOFF = [
  { value: 'on', label: '开启' },
  { value: 'off', label: '关闭' },
] as const;

function Settings({ park, admin, onSaved }: { park: OpParkView; admin: boolean; onSaved: (p: OpParkView) => void }) {
  const [form, setForm] = useState<ParkForm>(formOf(park));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [saved, setSaved] = useState(false);
  useEffect(() => setForm(formOf(park)), [park]);
  const set = <K extends keyof ParkForm>(k: K, v: ParkForm[K]) => {
    setSaved(false);
    setForm((f) => ({ ...f, [k]: v }));
  };
  const changes = parkChanges(park, form, admin);
  const save = async () => {
    if (!changes) return;
    setBusy(true);
    setError(undefined);
    try {
      onSaved(await opCall(opParkEndpoints.updatePark, { params: { parkNumber: park.parkNumber }, body: changes }));
      setSaved(true);
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="card op-settings">
      <Text className="section-title">车场设置</Text>
      <Field label="车场名称">
        <Input className="op-input op-park-name" value={form.name} maxlength={64} onInput={(e) => set('name', e.detail.value)} />
      </Field>
      <Field label="车道屏二维码（4.16）">
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
      <Field label="通道支付应答（4.27）">
        <Choice
          className="op-channel-policy"
          value={form.channelPayPolicy}
          options={[
            { value: 'secured', label: '钱到账才放行' },
            { value: 'accepted', label: '支付方担保即放行' },
          ]}
          onChange={(v) => set('channelPayPolicy', v)}
        />
      </Field>
      <Field label="黑名单车辆不开闸（4.28）">
        <Choice className="op-gate-blacklist" value={form.blacklistGate ? 'on' : 'off'} options={ONOFF} onChange={(v) => set('blacklistGate', v === 'on')} />
      </Field>
      <Field label="预约车辆直接开闸（4.28）">
        <Choice className="op-gate-bookings" value={form.bookingsGate ? 'on' : 'off'} options={ONOFF} onChange={(v) => set('bookingsGate', v === 'on')} />
      </Field>
      {admin ? (
        <>
          <Field label="蓝卡云地址">
            <Input className="op-input op-bluecard-url" value={form.bluecardBaseUrl} onInput={(e) => set('bluecardBaseUrl', e.detail.value)} />
          </Field>
          <Field label={park.hasKey ? '蓝卡密钥（已设置；留空不变）' : '蓝卡密钥（未设置）'}>
            <Input className="op-input op-bluecard-key" password value={form.key} placeholder="输入新密钥" onInput={(e) => set('key', e.detail.value)} />
          </Field>
        </>
      ) : null}
      <Button className="btn btn-primary op-save" disabled={busy || !changes} onClick={save}>
        {busy ? '正在保存…' : '保存设置'}
      </Button>
      {saved ? <Flash text="已保存" /> : null}
      {error ? <OpError error={error} /> : null}
    </View>
  );
}

export default function OpParkPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const park = useLoader(() => opCall(opParkEndpoints.park, { params: { parkNumber } }), [parkNumber]);
  const role = opSession()?.operator.role;
  const sections = SECTIONS.filter((s) => role && s.roles.includes(role));
  const title = park.state === 'ok' ? (park.data.name ?? park.data.parkNumber) : '车场';
  return (
    <OpPage title={title} className="op-park-page">
      <Text className="muted">{parkNumber}</Text>
      <View className="op-grid op-grid-3">
        {sections.map((s) => (
          <View key={s.page} className={`op-tile op-section op-section-${s.page}`} onClick={() => goOp(s.page, { park: parkNumber })}>
            <Text className="op-tile-title">{s.title}</Text>
            <Text className="muted">{s.hint}</Text>
          </View>
        ))}
      </View>
      {park.state === 'loading' ? <Loading /> : null}
      {park.state === 'error' ? <OpError error={park.error} onRetry={park.reload} /> : null}
      {park.state === 'ok' && role !== 'merchant' ? <Settings park={park.data} admin={role === 'admin'} onSaved={park.set} /> : null}
    </OpPage>
  );
}

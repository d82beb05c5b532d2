/**
 * A park's monthly pass (月卡) offer and what drivers bought of it: the areas covered (by the names the lot
 * gives them in its heartbeat), the price of 1 month and of 3, 6, 12 months if offered, whether new plates
 * may buy or only plates on the lot's monthly list may renew, how many passes may exist at once, the text
 * drivers read; the purchases with their state ("已续费至 …" once the lot accepted, the refund's reason).
 */
import { Button, Input, Text, Textarea, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { opPassEndpoints } from '@shared/api/passes';
import { fenToYuan } from '@shared/money';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { dateTime, yuan } from '../../../services/format';
import { param } from '../../../services/routes';
import { Choice, Field, Flash, OpError, OpPage, OpTable, type Err } from '../components/OpUi';
import { opErrorOf } from '../services/errors';
import { opCall } from '../services/session';
import { emptyPassForm, PASS_DURATIONS, passOfferBody, type PassOfferForm } from './form';

const STATE_TEXT = { awaiting_payment: '待支付', extending: '通知车场中', active: '已生效', refunded: '已退款', closed: '已取消' } as const;

type OfferLoaded = ReturnType<typeof useOffer>;
type PurchasesLoaded = ReturnType<typeof usePurchases>;

function useOffer(parkNumber: string) {
  return useLoader(() => opCall(opPassEndpoints.offer, { params: { parkNumber } }), [parkNumber]);
}

function usePurchases(parkNumber: string) {
  return useLoader(() => opCall(opPassEndpoints.purchases, { params: { parkNumber } }), [parkNumber]);
}

/** The offer as a form (filled from the saved offer once it is loaded), what it would save, and saving it. */
function useOfferForm(parkNumber: string, offer: OfferLoaded) {
  const [f, setF] = useState<PassOfferForm | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    if (offer.state !== 'ok' || f) return;
    const o = offer.data.offer;
    const form = emptyPassForm(o?.areaIds ?? offer.data.areas.map((a) => a.areaId));
    if (o) {
      for (const p of o.prices) form.yuan[p.months] = fenToYuan(p.priceFen);
      Object.assign(form, { newPlates: o.newPlates ? 'yes' : 'no', maxPasses: String(o.maxPasses), text: o.text, status: o.status });
    }
    setF(form);
  }, [offer, f]);

  const body = f ? passOfferBody(f) : undefined;
  const change = (x: Partial<PassOfferForm>) => {
    setSaved(false);
    setF((old) => (old ? { ...old, ...x } : old));
  };
  const save = async () => {
    if (!body || 'error' in body) return;
    setBusy(true);
    setError(undefined);
    try {
      await opCall(opPassEndpoints.putOffer, { params: { parkNumber }, body });
      setSaved(true);
      offer.reload();
    } catch (e) {
      setError(opErrorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return { f, body, change, save, busy, error, saved };
}

/** The areas the offer covers, chosen among those the lot reported. */
function AreaChoice({ f, areas, change }: { f: PassOfferForm; areas: { areaId: number; name: string }[]; change: (x: Partial<PassOfferForm>) => void }) {
  return (
    <Field label="适用区域" hint={areas.length ? '车场心跳上报的区域，可多选。' : '车场还没有上报区域：等车场心跳后再设置。'}>
      <View className="op-choices op-pass-areas">
        {areas.map((a) => {
          const on = f.areaIds.includes(a.areaId);
          return (
            <Text
              key={a.areaId}
              className={`op-choice${on ? ' op-choice-on' : ''}`}
              onClick={() => change({ areaIds: on ? f.areaIds.filter((x) => x !== a.areaId) : [...f.areaIds, a.areaId].sort((x, y) => x - y) })}
            >
              {a.name || `区域 ${a.areaId}`}
            </Text>
          );
        })}
      </View>
    </Field>
  );
}

/** The offer's fields: areas, prices, who may buy, how many, the drivers' text, on sale or not. */
function OfferFields({ f, areas, change }: { f: PassOfferForm; areas: { areaId: number; name: string }[]; change: (x: Partial<PassOfferForm>) => void }) {
  return (
    <>
      <AreaChoice f={f} areas={areas} change={change} />
      {PASS_DURATIONS.map((m) => (
        <Field key={m} label={`${m} 个月价格（元）`} hint={m === 1 ? '必填' : '不填表示不出售'}>
          <Input className={`op-input op-pass-price-${m}`} type="digit" value={f.yuan[m]} onInput={(e) => change({ yuan: { ...f.yuan, [m]: e.detail.value } })} />
        </Field>
      ))}
      <Field label="谁可以购买">
        <Choice
          className="op-pass-new-plates"
          value={f.newPlates}
          options={[
            { value: 'yes', label: '任何车牌' },
            { value: 'no', label: '仅车场白名单内的车续费' },
          ]}
          onChange={(v) => change({ newPlates: v })}
        />
      </Field>
      <Field label="同时有效的月卡数量上限">
        <Input className="op-input op-pass-max" type="number" value={f.maxPasses} onInput={(e) => change({ maxPasses: e.detail.value })} />
      </Field>
      <Field label="车主看到的说明">
        <Textarea className="op-input op-pass-text" value={f.text} maxlength={500} onInput={(e) => change({ text: e.detail.value })} />
      </Field>
      <Field label="状态">
        <Choice
          className="op-pass-status"
          value={f.status}
          options={[
            { value: 'on_sale', label: '在售' },
            { value: 'withdrawn', label: '停售' },
          ]}
          onChange={(v) => change({ status: v })}
        />
      </Field>
    </>
  );
}

/** The offer card: the form, what is wrong with it, save. */
function OfferCard({ parkNumber, offer }: { parkNumber: string; offer: OfferLoaded }) {
  const { f, body, change, save, busy, error, saved } = useOfferForm(parkNumber, offer);
  const areas = offer.state === 'ok' ? offer.data.areas : [];
  return (
    <View className="card op-pass-offer">
      <Text className="section-title">线上月卡</Text>
      {offer.state === 'loading' ? <Loading /> : null}
      {offer.state === 'error' ? <OpError error={offer.error} onRetry={offer.reload} /> : null}
      {f ? (
        <>
          <OfferFields f={f} areas={areas} change={change} />
          {body && 'error' in body ? <Text className="muted op-error-text op-pass-problem">{body.error}</Text> : null}
          <Button className="btn btn-primary op-pass-save" disabled={busy || !body || 'error' in body} onClick={save}>
            {busy ? '正在保存…' : '保存'}
          </Button>
          {saved ? <Flash text="已保存" /> : null}
          {error ? <OpError error={error} /> : null}
        </>
      ) : null}
    </View>
  );
}

/** What drivers bought: plate, months, price, state and its note, when. */
function PurchasesCard({ purchases }: { purchases: PurchasesLoaded }) {
  return (
    <View className="card">
      <Text className="section-title">购买记录</Text>
      <Button className="btn btn-secondary btn-small" onClick={purchases.reload}>
        刷新
      </Button>
      {purchases.state === 'loading' ? <Loading /> : null}
      {purchases.state === 'error' ? <OpError error={purchases.error} onRetry={purchases.reload} /> : null}
      {purchases.state === 'ok' && purchases.data.purchases.length === 0 ? <Text className="muted">还没有人购买</Text> : null}
      {purchases.state === 'ok' && purchases.data.purchases.length ? (
        <OpTable head={['车牌', '时长', '金额', '状态', ['说明', 'wide'], '下单时间']} minWidth={1100}>
          {purchases.data.purchases.map((p) => (
            <View key={p.purchaseNo} className="op-tr op-pass-purchase">
              <Text className="op-td op-nowrap">{p.plate}</Text>
              <Text className="op-td">{p.months} 个月</Text>
              <Text className="op-td">{yuan(p.priceFen)}</Text>
              <Text className="op-td">{STATE_TEXT[p.state]}</Text>
              <Text className="op-td op-td-wide">{p.notice}</Text>
              <Text className="op-td">{dateTime(p.createdAt)}</Text>
            </View>
          ))}
        </OpTable>
      ) : null}
    </View>
  );
}

export default function OpPassesPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const offer = useOffer(parkNumber);
  const purchases = usePurchases(parkNumber);
  return (
    <OpPage title="月卡" parkNumber={parkNumber} className="op-passes">
      <OfferCard parkNumber={parkNumber} offer={offer} />
      <PurchasesCard purchases={purchases} />
    </OpPage>
  );
}

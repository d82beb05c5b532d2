/**
 * A monthly pass (月卡) online: pick a plate → its validity per area as the lot has it → a duration and
 * its price → pay like a stay (PayPanel with the purchase's own pay endpoint) → followed until the lot
 * accepted the new dates ("已续费至 …") or the money went back (the reason said).
 */
import { Button, Text, View } from '@tarojs/components';
import Taro, { useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { passEndpoints, type PurchaseView } from '@shared/api/passes';
import type { ResponseOf } from '@shared/api/contract';
import { PayPanel } from '../../../components/PayPanel';
import { PlatePicker } from '../../../components/PlatePicker';
import { ErrorState, Loading, Notice, Row } from '../../../components/ui';
import { call, errorOf } from '../../../services/api';
import { yuan } from '../../../services/format';
import { lastPark } from '../../../services/memory';
import type { PayDeps } from '../../../services/payFlow';
import { walletOf } from '../../../services/platform';
import { go, pageUrl, param } from '../../../services/routes';

type PlatePass = ResponseOf<typeof passEndpoints.plate>;

function passPayDeps(purchaseNo: string): Partial<PayDeps> {
  return {
    startPay: async () => {
      const r = await call(passEndpoints.pay, { params: { purchaseNo }, body: { wallet: walletOf() } });
      return { pay: r.pay };
    },
  };
}

const SOURCE_TEXT: Record<PlatePass['validity']['source'], string> = { lot: '车场', lot_list: '车场名单', ours: '本系统记录', none: '', hidden: '' };

function Validity({ v, areas }: { v: PlatePass['validity']; areas: PlatePass['areas'] }) {
  if (v.source === 'none') return <Text className="muted pass-validity">这辆车还没有月卡</Text>;
  if (v.source === 'hidden') return <Text className="muted pass-validity">在此车场缴过费、或车在场内时在“我的停车”中确认入场信息后，可查看月卡有效期</Text>;
  const name = (id: number) => areas.find((a) => a.areaId === id)?.name || `区域 ${id}`;
  return (
    <View className="pass-validity">
      {v.areas.length ? (
        v.areas.map((a) => (
          <Row key={a.areaId} label={name(a.areaId)}>
            {a.end ? `有效至 ${a.end}` : '—'}
          </Row>
        ))
      ) : (
        <Row label="有效期">{v.end ? `至 ${v.end}` : '—'}</Row>
      )}
      <Text className="muted">来自{SOURCE_TEXT[v.source]}</Text>
    </View>
  );
}

/** A purchase after paying: polled until the lot accepted it or the money went back (then `onSettled`). */
function Outcome({ purchase, onSettled }: { purchase: PurchaseView; onSettled: () => void }) {
  const [p, setP] = useState(purchase);
  useEffect(() => {
    if (p.state !== 'extending' && p.state !== 'awaiting_payment') {
      onSettled();
      return;
    }
    const t = setTimeout(() => {
      call(passEndpoints.purchase, { params: { purchaseNo: p.purchaseNo } })
        .then(setP)
        .catch(() => setP({ ...p }));
    }, 1000);
    return () => clearTimeout(t);
  }, [p]);
  return <Notice title={p.notice} tone={p.state === 'active' ? 'ok' : p.state === 'refunded' ? 'warn' : 'info'} />;
}

/** The plate chosen, its pass as the lot has it (read again once a renewal settled), and buying a duration. */
function usePlatePass(parkNumber: string | undefined, firstPlate: string | undefined) {
  const [plate, setPlate] = useState<string | undefined>(firstPlate);
  const [pass, setPass] = useState<PlatePass | undefined>();
  const [purchase, setPurchase] = useState<PurchaseView | undefined>();
  const [paid, setPaid] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string } | undefined>();
  /** Read the plate's pass again (once a renewal settled: the lot's new dates). */
  const [reads, setReads] = useState(0);

  useEffect(() => {
    if (!parkNumber) void Taro.redirectTo({ url: pageUrl('parks', { next: 'pass' }) });
  }, [parkNumber]);
  useEffect(() => {
    if (!parkNumber || !plate) return;
    if (reads === 0) setPass(undefined);
    setError(undefined);
    call(passEndpoints.plate, { params: { parkNumber, plate } })
      .then(setPass)
      .catch((e: unknown) => setError(errorOf(e)));
  }, [parkNumber, plate, reads]);

  const buy = async (months: 1 | 3 | 6 | 12) => {
    if (!parkNumber || !plate || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      setPurchase(await call(passEndpoints.buy, { params: { parkNumber }, body: { plate, months } }));
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const settled = () => setReads((n) => n + 1);
  const reset = () => {
    setPlate(undefined);
    setPass(undefined);
    setPurchase(undefined);
    setPaid(false);
    setReads(0);
  };
  return { plate, setPlate, pass, purchase, paid, setPaid, busy, error, buy, settled, reset };
}

/** A lot that only renews the plates on its list, to a driver who has not yet proved the plate is theirs. */
function RenewalsOnly() {
  return (
    <>
      <Notice title="本车场仅限月卡名单内的车辆在线续费">
        <Text className="muted">请先确认这是你的车：在此车场缴过费，或车在场内时在“我的停车”中确认入场信息。</Text>
      </Notice>
      <Button className="btn btn-primary pass-prove" onClick={() => go('parking')}>
        去确认入场信息
      </Button>
    </>
  );
}

/** The offer's text and a button per duration with its price. */
function Prices({ offer, busy, buy }: { offer: NonNullable<PlatePass['offer']>; busy: boolean; buy: (months: 1 | 3 | 6 | 12) => Promise<void> }) {
  return (
    <>
      {offer.text ? <Text className="muted pass-text">{offer.text}</Text> : null}
      {offer.prices.map((x) => (
        <Button key={x.months} className={`btn btn-primary pass-buy pass-buy-${x.months}`} disabled={busy} onClick={() => void buy(x.months)}>
          {x.months} 个月 · {yuan(x.priceFen)}
        </Button>
      ))}
    </>
  );
}

/** The purchase: paid like a stay, then followed until it settled. */
function Purchase({ purchase, orderNo, paid, setPaid, settled }: { purchase: PurchaseView; orderNo: string; paid: boolean; setPaid: (paid: boolean) => void; settled: () => void }) {
  return (
    <>
      <Row label="续费" strong>
        {purchase.months} 个月 · {yuan(purchase.priceFen)}
      </Row>
      {!paid ? (
        <PayPanel orderNo={orderNo} amountFen={purchase.priceFen} kind="pass" deps={passPayDeps(purchase.purchaseNo)} onState={(s) => setPaid(s.step === 'delivered' || s.step === 'ended')} />
      ) : (
        <Outcome purchase={purchase} onSettled={settled} />
      )}
    </>
  );
}

export default function PassPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? lastPark();
  const { plate, setPlate, pass, purchase, paid, setPaid, busy, error, buy, settled, reset } = usePlatePass(parkNumber, param(params, 'plate'));

  if (!parkNumber) return <Loading text="请选择停车场…" />;
  return (
    <View className="page page-pass">
      <Text className="page-title">月卡续费</Text>
      {!plate ? (
        <View className="card">
          <PlatePicker actionText="查询月卡" onPick={setPlate} />
        </View>
      ) : null}
      {plate && !pass && !error ? <Loading /> : null}
      {error ? <ErrorState error={error} /> : null}
      {plate && pass ? (
        <View className="card pass-plate">
          <Text className="section-title">{plate}</Text>
          <Validity v={pass.validity} areas={pass.areas} />
          {!pass.offer ? <Notice title="这个车场暂未开通线上月卡" /> : null}
          {/* Renewals only: whether this plate may renew is told once the driver proved it is theirs. */}
          {pass.offer && !pass.offer.newPlates && pass.validity.source === 'hidden' && !purchase ? <RenewalsOnly /> : null}
          {pass.offer && !purchase && (pass.offer.newPlates || pass.validity.source !== 'hidden') ? <Prices offer={pass.offer} busy={busy} buy={buy} /> : null}
          {purchase && purchase.order ? <Purchase purchase={purchase} orderNo={purchase.order.orderNo} paid={paid} setPaid={setPaid} settled={settled} /> : null}
          <Button className="btn btn-secondary" onClick={reset}>
            换一辆车
          </Button>
        </View>
      ) : null}
    </View>
  );
}

/**
 * The fee and paying it. Opened three ways:
 *   ?kind=prepay&park=…&plate=…       a plated car (pre-pay, or at the exit lane): POST /api/fees/prepay
 *   ?kind=unlicensed&park=…&lane=…    an unlicensed car at the exit lane: POST /api/unlicensed/exit-fee
 *   ?orderNo=…                        an order already made (my parking, history): GET /api/orders/:orderNo
 * Then the fee with its parts; nothing to pay → drive out; else the pay panel. A price that ran out is
 * asked again in place (the order's park and plate); once paid, the fee reads as paid. A failure always
 * offers a way on (home, or the plate typed in).
 */
import { Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { orderEndpoints, type FeeView as Fee, type OrderView } from '@shared/api/orders';
import { parkEndpoints } from '@shared/api/parks';
import { WaysOn } from '../../components/DeadEnd';
import { FeeView, type FeeParts } from '../../components/FeeView';
import { ParkService } from '../../components/ParkService';
import { PayPanel } from '../../components/PayPanel';
import { ErrorState, Loading } from '../../components/ui';
import { useLoader } from '../../hooks/useLoader';
import { ApiError, call } from '../../services/api';
import type { PayState } from '../../services/payFlow';
import { walletOf } from '../../services/platform';
import { param } from '../../services/routes';

type Source = { by: 'order'; orderNo: string } | { by: 'prepay'; park: string; plate: string } | { by: 'unlicensed'; park: string; lane: string } | { by: 'none' };

interface Loaded {
  fee: FeeParts;
  parkNumber: string;
  orderNo?: string;
  kind: OrderView['kind'];
  order?: OrderView;
  /** A quoted order's price holds until then. */
  quoteExpiresAt?: string;
}

function sourceOf(p: Partial<Record<string, string>>): Source {
  const orderNo = param(p, 'orderNo');
  const park = param(p, 'park');
  if (orderNo) return { by: 'order', orderNo };
  if (param(p, 'kind') === 'unlicensed' && park && param(p, 'lane')) return { by: 'unlicensed', park, lane: param(p, 'lane')! };
  if (park && param(p, 'plate')) return { by: 'prepay', park, plate: param(p, 'plate')! };
  return { by: 'none' };
}

/**
 * A fee with an order that can be paid. The lot names a price by the second (its outTradeNo): asked again
 * within the second a price ran out, it answers that price again, whose order is closed — a second later it
 * is a new one.
 */
async function payableFee(ask: () => Promise<Fee>): Promise<Fee> {
  for (let attempt = 1; ; attempt++) {
    const f = await ask();
    if (!f.order || f.order.status === 'quoted' || f.order.status === 'pending' || attempt >= 3) return f;
    await new Promise((resolve) => setTimeout(resolve, 1100));
  }
}

async function loadFee(s: Source): Promise<Loaded> {
  if (s.by === 'order') {
    const o = await call(orderEndpoints.order, { params: { orderNo: s.orderNo } });
    return {
      fee: { ...o.fee, plate: o.plate, payFen: o.amountFen },
      parkNumber: o.parkNumber,
      orderNo: s.orderNo,
      kind: o.kind,
      order: o,
      quoteExpiresAt: o.status === 'quoted' ? o.expiresAt : undefined,
    };
  }
  if (s.by === 'unlicensed') {
    const f = await payableFee(() => call(orderEndpoints.unlicensedExitFee, { body: { parkNumber: s.park, passagewayId: s.lane, wallet: walletOf() } }));
    return { fee: f, parkNumber: s.park, orderNo: f.order?.orderNo, kind: 'unlicensed_exit', quoteExpiresAt: f.order?.status === 'quoted' ? f.order.expiresAt : undefined };
  }
  if (s.by === 'prepay') {
    const f = await payableFee(() => call(orderEndpoints.prepayFee, { body: { parkNumber: s.park, plate: s.plate } }));
    return { fee: f, parkNumber: s.park, orderNo: f.order?.orderNo, kind: 'prepay', quoteExpiresAt: f.order?.status === 'quoted' ? f.order.expiresAt : undefined };
  }
  throw new ApiError('bad_link', '缺少车场或车牌');
}

const keyOf = (s: Source) => JSON.stringify(s);

export default function PayPage() {
  const { params } = useRouter();
  const [source, setSource] = useState<Source>(() => sourceOf(params));
  const [paid, setPaid] = useState(false);
  const [round, setRound] = useState(0);
  const loaded = useLoader(() => loadFee(source), [keyOf(source), round]);
  const parkNumber = loaded.state === 'ok' ? loaded.data.parkNumber : source.by === 'prepay' || source.by === 'unlicensed' ? source.park : undefined;
  const park = useLoader(async () => (parkNumber ? call(parkEndpoints.park, { params: { parkNumber } }) : undefined), [parkNumber]);

  if (loaded.state === 'loading') return <Loading text="正在向车场查询费用…" slowText="车场响应较慢，请稍候…" />;
  if (loaded.state === 'error') {
    return (
      <View className="page">
        <ErrorState error={loaded.error} onRetry={loaded.reload} actions={<WaysOn park={parkNumber} />} />
      </View>
    );
  }
  const { fee, orderNo, kind, order, quoteExpiresAt } = loaded.data;
  // A price that ran out (or was replaced): the same car's fee again, here.
  const requote = () => {
    setPaid(false);
    setRound((r) => r + 1);
    if (source.by === 'order' && kind !== 'booking') setSource({ by: 'prepay', park: loaded.data.parkNumber, plate: fee.plate });
  };
  const onState = (s: PayState) => setPaid(s.step === 'delivered' || (s.step === 'confirming' && (s.order?.status === 'paid' || s.order?.status === 'delivered')));
  return (
    <View className="page page-pay">
      <Text className="page-title">{kind === 'unlicensed_exit' ? '无牌车出场缴费' : '停车缴费'}</Text>
      <FeeView fee={fee} paid={paid} />
      {fee.payFen > 0 && orderNo ? (
        <PayPanel
          key={`${orderNo}-${round}`}
          orderNo={orderNo}
          amountFen={fee.payFen}
          kind={kind}
          order={order}
          quoteExpiresAt={quoteExpiresAt}
          onRequote={kind === 'booking' ? undefined : requote}
          onState={onState}
          freeMinutes={fee.paidFreeMinutes || undefined}
        />
      ) : null}
      {park.state === 'ok' ? <ParkService service={park.data?.service} compact /> : null}
    </View>
  );
}

/**
 * The fee and paying it. Opened three ways:
 *   ?kind=prepay&park=…&plate=…       a plated car (pre-pay, or at the exit lane): POST /api/fees/prepay
 *   ?kind=unlicensed&park=…&lane=…    an unlicensed car at the exit lane: POST /api/unlicensed/exit-fee
 *   ?orderNo=…                        an order already made (my parking, history): GET /api/orders/:orderNo
 * Then the fee with its parts; nothing to pay → drive out; else the pay panel.
 */
import { Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { orderEndpoints, type OrderView } from '@shared/api/orders';
import { FeeView, type FeeParts } from '../../components/FeeView';
import { PayPanel } from '../../components/PayPanel';
import { ErrorState, Loading } from '../../components/ui';
import { useLoader } from '../../hooks/useLoader';
import { ApiError, call } from '../../services/api';
import { walletOf } from '../../services/platform';
import { param } from '../../services/routes';

interface Loaded {
  fee: FeeParts;
  orderNo?: string;
  kind: OrderView['kind'];
  order?: OrderView;
}

async function loadFee(p: Partial<Record<string, string>>): Promise<Loaded> {
  const orderNo = param(p, 'orderNo');
  const park = param(p, 'park');
  if (orderNo) {
    const o = await call(orderEndpoints.order, { params: { orderNo } });
    return { fee: { ...o.fee, plate: o.plate, payFen: o.amountFen }, orderNo, kind: o.kind, order: o };
  }
  if (param(p, 'kind') === 'unlicensed' && park && param(p, 'lane')) {
    const f = await call(orderEndpoints.unlicensedExitFee, { body: { parkNumber: park, passagewayId: param(p, 'lane')!, wallet: walletOf() } });
    return { fee: f, orderNo: f.order?.orderNo, kind: 'unlicensed_exit' };
  }
  if (park && param(p, 'plate')) {
    const f = await call(orderEndpoints.prepayFee, { body: { parkNumber: park, plate: param(p, 'plate')! } });
    return { fee: f, orderNo: f.order?.orderNo, kind: 'prepay' };
  }
  throw new ApiError('bad_link', '缺少车场或车牌');
}

export default function PayPage() {
  const { params } = useRouter();
  const loaded = useLoader(() => loadFee(params), []);
  if (loaded.state === 'loading') return <Loading text="正在向车场查询费用…" />;
  if (loaded.state === 'error') {
    return (
      <View className="page">
        <ErrorState error={loaded.error} onRetry={loaded.reload} />
      </View>
    );
  }
  const { fee, orderNo, kind, order } = loaded.data;
  return (
    <View className="page page-pay">
      <Text className="page-title">{kind === 'unlicensed_exit' ? '无牌车出场缴费' : '停车缴费'}</Text>
      <FeeView fee={fee} />
      {fee.payFen > 0 && orderNo ? <PayPanel orderNo={orderNo} amountFen={fee.payFen} kind={kind} order={order} /> : null}
    </View>
  );
}

/** History: the driver's orders, newest first, with refunds and their reasons. */
import { Text, View } from '@tarojs/components';
import { orderEndpoints, type OrderView } from '@shared/api/orders';
import { ErrorState, Loading, Row } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call } from '../../../services/api';
import { dateTime, lotTime, yuan } from '../../../services/format';
import { STATUS_TEXT, closedReasonText, refundReasonText } from '../../../services/reasons';
import { go } from '../../../services/routes';

function Order({ o }: { o: OrderView }) {
  const open = o.status === 'quoted' || o.status === 'pending' || o.status === 'paid';
  return (
    <View className={`card order order-${o.status}`} onClick={() => open && go('pay', { orderNo: o.orderNo })}>
      <View className="row row-strong">
        <Text className="row-label">{o.plate}</Text>
        <Text className="row-value">{yuan(o.amountFen)}</Text>
      </View>
      <Row label="状态">{STATUS_TEXT[o.status]}</Row>
      <Row label="入场时间">{lotTime(o.fee.inTime)}</Row>
      <Row label="下单时间">{dateTime(o.createdAt)}</Row>
      {o.kind === 'unlicensed_exit' ? <Row label="类型">无牌车出场</Row> : null}
      {o.refund ? (
        <Row label={o.refund.state === 'done' ? '已退款' : '退款中'}>
          {yuan(o.refund.fen)} · {refundReasonText(o.refund.reason)}
        </Row>
      ) : null}
      {o.status === 'closed' ? <Row label="原因">{closedReasonText(o.closedReason)}</Row> : null}
      <Text className="muted">订单号 {o.orderNo}</Text>
    </View>
  );
}

export default function HistoryPage() {
  const orders = useLoader(() => call(orderEndpoints.orders, {}), []);
  if (orders.state === 'loading') return <Loading />;
  if (orders.state === 'error') return <ErrorState error={orders.error} onRetry={orders.reload} />;
  const list = orders.data.orders;
  return (
    <View className="page page-history">
      <Text className="page-title">缴费记录</Text>
      {list.length === 0 ? <Text className="muted">还没有缴费记录</Text> : null}
      {list.map((o) => (
        <Order key={o.orderNo} o={o} />
      ))}
    </View>
  );
}

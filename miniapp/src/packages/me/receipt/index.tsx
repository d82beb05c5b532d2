/**
 * A payment's receipt (缴费凭证): amount and status, then what the park's staff or an expense claim asks
 * for — park, plate, entry and exit, duration, the amount with its discounts, channel, our number and the
 * provider's transaction number — and the refund with its reason; then the payment's e-invoice (电子发票:
 * ask for one, or where it stands) and the receipt shared as an image, drawn from the same lines
 * (services/receiptLines).
 */
import { Button, Text, View } from '@tarojs/components';
import Taro, { useDidShow, useRouter } from '@tarojs/taro';
import { historyEndpoints, type ReceiptView } from '@shared/api/history';
import { INVOICE_STATUS_LABELS, invoiceEndpoints } from '@shared/api/invoices';
import { ShareReceiptButton } from '../../../components/ShareImage';
import { ErrorState, Loading, Row } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { ApiError, call } from '../../../services/api';
import { yuan } from '../../../services/format';
import { INVOICE_REASON_TEXT } from '../../../services/invoiceText';
import { KIND_TEXT, PAYMENT_STATUS_TEXT } from '../../../services/paymentText';
import { receiptImage, receiptSections } from '../../../services/receiptLines';
import { go, param } from '../../../services/routes';

/** A number the driver may need to quote (customer service, an expense claim): a tap copies it. */
function No({ value }: { value: string }) {
  const copy = () => {
    try {
      void Promise.resolve(Taro.setClipboardData({ data: value })).catch(() => undefined);
    } catch {
      // the number stays on screen
    }
  };
  return (
    <Text className="receipt-no" onClick={copy}>
      {value}
    </Text>
  );
}

/**
 * The payment's e-invoice: ask for one (the invoice page), or where it stands and a way to it. Another load
 * than the receipt's: an invoicing hiccup never hides the receipt.
 */
function InvoiceSection({ r }: { r: ReceiptView }) {
  const kind = r.kind === 'deduction' ? 'deduction' : 'order';
  const option = useLoader(() => call(invoiceEndpoints.forPayment, { query: { kind, ref: r.ref } }), [kind, r.ref]);
  // Back from the invoice page: show what was asked for there.
  useDidShow(() => {
    if (option.state === 'ok') option.reload();
  });
  let body;
  if (option.state === 'loading') body = <Text className="muted">正在查询…</Text>;
  else if (option.state === 'error') {
    body = (
      <Text className="muted receipt-invoice-error" onClick={option.reload}>
        暂时查不到发票信息，点此重试
      </Text>
    );
  } else {
    const { invoice, available, reason } = option.data;
    if (invoice) {
      const number = invoice.fapiao.at(-1)?.number;
      body = (
        <>
          <Row label="状态">{INVOICE_STATUS_LABELS[invoice.status]}</Row>
          {invoice.title ? <Row label="抬头">{invoice.title.name}</Row> : null}
          {number ? <Row label="发票号码">{number}</Row> : null}
          <Button className="btn btn-secondary receipt-invoice-open" onClick={() => go('invoice', { id: invoice.id })}>
            查看发票
          </Button>
        </>
      );
    } else if (available) {
      body = (
        <Button className="btn btn-primary receipt-invoice-ask" onClick={() => go('invoice', { kind, ref: r.ref })}>
          开具电子发票
        </Button>
      );
    } else {
      body = <Text className="muted receipt-invoice-reason">{INVOICE_REASON_TEXT[reason ?? ''] ?? '暂不能开票'}</Text>;
    }
  }
  return (
    <View className="card receipt-section receipt-invoice">
      <Text className="section-title">电子发票</Text>
      {body}
    </View>
  );
}

export default function ReceiptPage() {
  const { params } = useRouter();
  const ref = param(params, 'ref');
  const receipt = useLoader(async () => {
    if (!ref) throw new ApiError('bad_link', '缺少订单号');
    return call(historyEndpoints.receipt, { params: { ref } });
  }, [ref]);
  if (receipt.state === 'loading') return <Loading />;
  if (receipt.state === 'error') return <ErrorState error={receipt.error} onRetry={receipt.reload} />;
  const r = receipt.data;
  return (
    <View className="page page-receipt">
      <View className="card receipt-head">
        <Text className="muted">
          {KIND_TEXT[r.kind]}
          {r.title ? ` · ${r.title}` : ''}
        </Text>
        <Text className="receipt-amount">{yuan(r.amountFen)}</Text>
        <Text className={`receipt-status receipt-status-${r.status}`}>{PAYMENT_STATUS_TEXT[r.status]}</Text>
      </View>
      {receiptSections(r).map((sec) => (
        <View key={sec.key} className="card receipt-section">
          <Text className="section-title">{sec.title}</Text>
          {sec.lines.map((l) => (
            <Row key={l.label} label={l.label} strong={l.strong}>
              {l.no ? <No value={l.value} /> : l.value}
            </Row>
          ))}
        </View>
      ))}
      {/* A payment still being paid has nothing to invoice or show yet. */}
      {r.status !== 'paying' ? <InvoiceSection r={r} /> : null}
      {r.status !== 'paying' ? <ShareReceiptButton data={receiptImage(r)} fileName={`receipt-${r.ref}.png`} /> : null}
      <Text className="muted receipt-hint">点按订单号或交易单号即可复制</Text>
    </View>
  );
}

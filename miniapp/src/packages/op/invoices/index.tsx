/**
 * The park's e-invoices (电子发票): every invoice with a payment of the park, newest first, by status; each
 * with its title, amount, fapiao numbers (and the red one after a refund), what happened to it, and 重新发送 —
 * a refused one is issued (or reversed) again with the same number, one under way is asked about now.
 */
import { Button, Text, View } from '@tarojs/components';
import { useRouter } from '@tarojs/taro';
import { useState } from 'react';
import { INVOICE_STATUS_LABELS, opInvoiceEndpoints, type InvoiceStatusView, type OpInvoiceView } from '@shared/api/invoices';
import { Loading } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { errorOf } from '../../../services/api';
import { dateTime, yuan } from '../../../services/format';
import { param } from '../../../services/routes';
import { Flash, OpError, OpPage, type Err } from '../components/OpUi';
import { opCall } from '../services/session';
import './invoices.css';

/** Our reason codes in the operator's words (a provider's refusal is shown as it said it). */
const REASONS: Record<string, string> = {
  refunded: '支付已全额退款',
  title_not_filled: '司机未填写抬头',
  cancelled_by_driver: '司机已取消',
};

const FILTERS: { value: InvoiceStatusView | ''; label: string }[] = [
  { value: '', label: '全部' },
  { value: 'issuing', label: '开票中' },
  { value: 'issued', label: '已开票' },
  { value: 'failed', label: '开票失败' },
  { value: 'reversed', label: '已红冲' },
  { value: 'awaiting_title', label: '待填抬头' },
];

function InvoiceRow({ parkNumber, inv, onChanged }: { parkNumber: string; inv: OpInvoiceView; onChanged: (v: OpInvoiceView) => void }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const [sent, setSent] = useState(false);
  const current = inv.fapiao.at(-1);
  const resend = async () => {
    setBusy(true);
    setError(undefined);
    setSent(false);
    try {
      onChanged(await opCall(opInvoiceEndpoints.resend, { params: { parkNumber, invoiceId: inv.id }, body: {} }));
      setSent(true);
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <View className={`op-tr op-invoice op-invoice-${inv.status}`} onClick={() => setOpen(!open)}>
        <Text className="op-td">{dateTime(inv.createdAt)}</Text>
        <Text className="op-td op-invoice-status">{INVOICE_STATUS_LABELS[inv.status]}</Text>
        <Text className="op-td">{yuan(inv.totalFen)}</Text>
        <Text className="op-td">{inv.title ? `${inv.title.type === 'company' ? '单位' : '个人'} ${inv.title.name}` : '—'}</Text>
        <Text className="op-td">{current?.number ?? '—'}</Text>
        {/* A plate is read whole: one plate a line, never broken inside. */}
        <View className="op-td op-invoice-plates">
          {[...new Set(inv.items.map((i) => i.plate))].map((plate) => (
            <Text key={plate} className="op-nowrap">
              {plate}
            </Text>
          ))}
        </View>
      </View>
      {open ? (
        <View className="op-invoice-detail">
          <Text className="muted">申请号 {inv.id}</Text>
          {inv.title?.taxNumber ? <Text className="muted">税号 {inv.title.taxNumber}</Text> : null}
          {inv.items.map((i) => (
            <Text key={`${i.kind}:${i.ref}`} className="muted">
              {i.kind === 'deduction' ? '无感支付' : '订单'} {i.ref} · {i.plate}
            </Text>
          ))}
          {inv.fapiao.map((f) => (
            <Text key={f.fapiaoId} className="muted">
              发票 {f.number ?? f.fapiaoId}（{f.code ?? '—'}）{yuan(f.totalFen)}
              {f.red ? ` · 红字 ${f.red.number}` : ''}
              {f.cardStatus ? ` · 卡包 ${f.cardStatus === 'INSERTED' ? '已放入' : f.cardStatus === 'DISCARDED' ? '已作废' : f.cardStatus}` : ''}
            </Text>
          ))}
          {inv.reason ? <Text className="op-error-text">原因：{REASONS[inv.reason] ?? inv.reason}</Text> : null}
          {inv.lastError ? <Text className="op-error-text">最近一次错误：{inv.lastError}</Text> : null}
          <Text className="section-title">处理记录</Text>
          {inv.events.map((e, i) => (
            <Text key={i} className="muted">
              {dateTime(e.at)} {e.what}
            </Text>
          ))}
          <Button className="btn btn-secondary op-invoice-resend" disabled={busy} onClick={resend}>
            {busy ? '正在发送…' : '重新发送'}
          </Button>
          {sent ? <Flash text="已重新发送" /> : null}
          {error ? <OpError error={error} /> : null}
        </View>
      ) : null}
    </>
  );
}

export default function OpInvoicesPage() {
  const { params } = useRouter();
  const parkNumber = param(params, 'park') ?? '';
  const [status, setStatus] = useState<InvoiceStatusView | ''>('');
  const list = useLoader(() => opCall(opInvoiceEndpoints.list, { params: { parkNumber }, query: { limit: 100, ...(status ? { status } : {}) } }), [parkNumber, status]);
  const replace = (v: OpInvoiceView) => {
    if (list.state === 'ok') list.set({ invoices: list.data.invoices.map((i) => (i.id === v.id ? v : i)) });
  };
  return (
    <OpPage title="电子发票" parkNumber={parkNumber} className="op-invoices">
      <View className="chips">
        {FILTERS.map((f) => (
          <Text key={f.value || 'all'} className={`chip op-invoice-filter${status === f.value ? '' : ' chip-off'}`} onClick={() => setStatus(f.value)}>
            {f.label}
          </Text>
        ))}
      </View>
      {list.state === 'loading' ? <Loading /> : null}
      {list.state === 'error' ? <OpError error={list.error} onRetry={list.reload} /> : null}
      {list.state === 'ok' && list.data.invoices.length === 0 ? <Text className="muted">没有发票</Text> : null}
      {list.state === 'ok' && list.data.invoices.length ? (
        <View className="card op-table">
          <View className="op-tr op-th">
            <Text className="op-td">申请时间</Text>
            <Text className="op-td">状态</Text>
            <Text className="op-td">金额</Text>
            <Text className="op-td">抬头</Text>
            <Text className="op-td">发票号码</Text>
            <Text className="op-td">车牌</Text>
          </View>
          {list.data.invoices.map((inv) => (
            <InvoiceRow key={inv.id} parkNumber={parkNumber} inv={inv} onChanged={replace} />
          ))}
        </View>
      ) : null}
    </OpPage>
  );
}

/**
 * E-invoices (电子发票): without parameters, the driver's invoices and several payments put on one (合并开票);
 * with `kind` and `ref`, one payment's invoice — asked for here with a typed title (个人 or 单位 with its
 * 纳税人识别号) or WeChat's title page; with `id`, one invoice. Shows where it stands (开票中, 已开票 with its
 * number and the PDF, 已红冲 after a refund), and looks again every few seconds while something is under way.
 */
import { Button, Input, Text, View } from '@tarojs/components';
import Taro, { useDidShow, useRouter } from '@tarojs/taro';
import { useEffect, useState } from 'react';
import { historyEndpoints, type PaymentEntry } from '@shared/api/history';
import { INVOICE_STATUS_LABELS, invoiceEndpoints, type InvoiceTitleInput, type InvoiceView } from '@shared/api/invoices';
import { ErrorState, Loading, Notice, Row } from '../../../components/ui';
import { useLoader } from '../../../hooks/useLoader';
import { call, errorOf } from '../../../services/api';
import { dateTime, yuan } from '../../../services/format';
import { INVOICE_REASON_TEXT } from '../../../services/invoiceText';
import { platform } from '../../../services/platform';
import { param, pageUrl } from '../../../services/routes';
import './invoice.css';

type Err = { code: string; message: string };

const UNDER_WAY = new Set(['awaiting_title', 'issuing', 'reversing']);

/** Open the PDF: a new tab in the browser; download and open it in the mini-programs. */
async function openPdf(url: string): Promise<void> {
  if (platform() === 'h5') {
    window.open(url, '_blank');
    return;
  }
  const file = await Taro.downloadFile({ url });
  await Taro.openDocument({ filePath: file.tempFilePath, fileType: 'pdf', showMenu: true });
}

/** WeChat's title page: the title mini-program in WeChat, its web page in the H5 demo (coming back here). */
function openTitlePage(inv: InvoiceView): void {
  const page = inv.titlePage;
  if (!page) return;
  if (platform() === 'weapp') {
    void Taro.navigateToMiniProgram({ appId: page.miniprogram.appId, path: page.miniprogram.path });
    return;
  }
  const back = `${window.location.origin}${window.location.pathname}#${pageUrl('invoice', { id: inv.id })}`;
  window.location.href = `${page.url}${page.url.includes('?') ? '&' : '?'}return_url=${encodeURIComponent(back)}`;
}

function Fapiao({ inv }: { inv: InvoiceView }) {
  const current = inv.fapiao.at(-1);
  const earlier = inv.fapiao.slice(0, -1);
  return (
    <>
      {current ? (
        <View className="card invoice-fapiao">
          <Row label={current.state === 'reversed' ? '原发票金额' : '发票金额'} strong>
            {yuan(current.totalFen)}
          </Row>
          {current.taxFen !== null ? <Row label="其中税额">{yuan(current.taxFen)}</Row> : null}
          {current.number ? <Row label="发票号码">{current.number}</Row> : null}
          {current.code ? <Row label="发票代码">{current.code}</Row> : null}
          {current.issuedAt ? <Row label="开票时间">{dateTime(current.issuedAt)}</Row> : null}
          {current.cardStatus === 'INSERTED' ? <Row label="微信卡包">已放入</Row> : null}
          {current.red ? (
            <View className="invoice-red">
              <Row label="红字发票号码">{current.red.number}</Row>
              <Text className="muted">原发票已冲红（退款）</Text>
            </View>
          ) : null}
        </View>
      ) : null}
      {earlier.map((f) => (
        <View key={f.fapiaoId} className="card invoice-earlier">
          <Text className="muted">
            已冲红：发票 {f.number ?? f.fapiaoId} · {yuan(f.totalFen)}
            {f.red ? ` · 红字 ${f.red.number}` : ''}
          </Text>
        </View>
      ))}
    </>
  );
}

/** One invoice, looked at again while under way and when the driver comes back from WeChat's title page; its actions one at a time. */
function useInvoice(initial: InvoiceView, onChange?: (v: InvoiceView) => void) {
  const [inv, setInv] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  useEffect(() => setInv(initial), [initial]);
  const update = (v: InvoiceView) => {
    setInv(v);
    onChange?.(v);
  };
  // Under way: look again every 2 seconds.
  useEffect(() => {
    if (!UNDER_WAY.has(inv.status)) return;
    const t = setTimeout(() => {
      call(invoiceEndpoints.get, { params: { invoiceId: inv.id } }).then(update, () => undefined);
    }, 2000);
    return () => clearTimeout(t);
  }, [inv]);
  // Back from WeChat's title page: look for the title now.
  useDidShow(() => {
    if (inv.status === 'awaiting_title') call(invoiceEndpoints.titleDone, { params: { invoiceId: inv.id }, body: {} }).then(update, () => undefined);
  });
  const act = async (f: () => Promise<InvoiceView>) => {
    setBusy(true);
    setError(undefined);
    try {
      update(await f());
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  const toTitlePage = () =>
    act(async () => {
      const fresh = await call(invoiceEndpoints.titlePage, { params: { invoiceId: inv.id }, body: {} });
      openTitlePage(fresh);
      return fresh;
    });
  const titleDone = () => act(() => call(invoiceEndpoints.titleDone, { params: { invoiceId: inv.id }, body: {} }));
  const cancel = () => act(() => call(invoiceEndpoints.cancel, { params: { invoiceId: inv.id }, body: {} }));
  return { inv, busy, error, setError, toTitlePage, titleDone, cancel };
}

/** Where the invoice stands, its title, amount, the payments on it and why it failed or was cancelled. */
function InvoiceSummary({ inv }: { inv: InvoiceView }) {
  return (
    <View className="card">
      <Row label="状态" strong>
        <Text className="invoice-status">{INVOICE_STATUS_LABELS[inv.status]}</Text>
      </Row>
      {inv.title ? (
        <>
          <Row label="抬头">{inv.title.name}</Row>
          {inv.title.taxNumber ? <Row label="税号">{inv.title.taxNumber}</Row> : null}
          <Row label="类型">{inv.title.type === 'company' ? '单位' : '个人'}</Row>
        </>
      ) : null}
      <Row label="开票金额">{yuan(inv.totalFen)}</Row>
      <Row label="支付">{inv.items.map((i) => `${i.plate} ${i.ref}`).join('，')}</Row>
      {inv.reason ? <Row label="原因">{INVOICE_REASON_TEXT[inv.reason] ?? inv.reason}</Row> : null}
      <Text className="muted">申请号 {inv.id} · {dateTime(inv.createdAt)}</Text>
    </View>
  );
}

/** The PDF: opened, and its link shown (it holds for 10 minutes). */
function PdfCard({ url, onError }: { url: string; onError: (e: Err) => void }) {
  return (
    <View className="card invoice-pdf">
      <Button className="btn btn-primary invoice-pdf-open" onClick={() => void openPdf(url).catch((e: unknown) => onError(errorOf(e)))}>
        查看发票 PDF
      </Button>
      <Text className="muted">PDF 链接（10 分钟内有效）</Text>
      <Text className="invoice-pdf-url" selectable>
        {url}
      </Text>
    </View>
  );
}

function InvoiceDetail({ initial, onChange }: { initial: InvoiceView; onChange?: (v: InvoiceView) => void }) {
  const { inv, busy, error, setError, toTitlePage, titleDone, cancel } = useInvoice(initial, onChange);
  return (
    <View className={`invoice invoice-${inv.status}`}>
      <InvoiceSummary inv={inv} />
      {inv.status === 'awaiting_title' ? (
        <Notice title="请在微信发票助手中填写抬头" tone="info">
          <Button className="btn btn-primary invoice-title-page" disabled={busy} onClick={() => void toTitlePage()}>
            去填写抬头
          </Button>
          <Button className="btn btn-secondary" disabled={busy} onClick={() => void titleDone()}>
            我已填写
          </Button>
        </Notice>
      ) : null}
      {inv.status === 'issuing' ? <Notice title="正在开具发票…" tone="info" /> : null}
      {inv.status === 'reversing' ? <Notice title="支付已退款，发票正在冲红…" tone="warn" /> : null}
      <Fapiao inv={inv} />
      {inv.pdfUrl ? <PdfCard url={inv.pdfUrl} onError={setError} /> : null}
      {inv.status === 'failed' || inv.status === 'awaiting_title' ? (
        <Button className="btn btn-secondary invoice-cancel" disabled={busy} onClick={() => void cancel()}>
          取消这次开票
        </Button>
      ) : null}
      {error ? <ErrorState error={error} /> : null}
    </View>
  );
}

const TAX = /^(?:[0-9A-Z]{15}|[0-9A-Z]{18}|[0-9A-Z]{20})$/;

function RequestForm({ kind, payRef, netFen, onDone }: { kind: 'order' | 'deduction' | 'pass'; payRef: string; netFen: number; onDone: (v: InvoiceView) => void }) {
  const [title, setTitle] = useState<InvoiceTitleInput>({ type: 'company', name: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  // Functional: Taro's inputs may keep the handler of an earlier render.
  const set = (patch: Partial<InvoiceTitleInput>) => setTitle((t) => ({ ...t, ...patch }));
  const tax = (title.taxNumber ?? '').trim().toUpperCase();
  const ready = (title.name ?? '').trim().length > 0 && (title.type === 'personal' || TAX.test(tax));
  const submit = async (typed: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      const items = [{ kind, ref: payRef }];
      const body = typed ? { items, title: { ...title, name: title.name.trim(), ...(tax ? { taxNumber: tax } : {}) } } : { items, title: null };
      const v = await call(invoiceEndpoints.request, { body });
      onDone(v);
      if (!typed) openTitlePage(v);
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="card invoice-form">
      <Text className="section-title">开具电子发票 · {yuan(netFen)}</Text>
      <View className="chips">
        {(['company', 'personal'] as const).map((t) => (
          <Text key={t} className={`chip invoice-type-${t}${title.type === t ? ' chip-on' : ' chip-off'}`} onClick={() => set({ type: t })}>
            {t === 'company' ? '单位' : '个人'}
          </Text>
        ))}
      </View>
      <Input className="input invoice-name" value={title.name} placeholder={title.type === 'company' ? '单位名称' : '个人姓名'} onInput={(e) => set({ name: String(e.detail?.value ?? '') })} />
      {title.type === 'company' ? (
        <Input className="input invoice-tax" value={title.taxNumber ?? ''} placeholder="纳税人识别号（15、18 或 20 位）" onInput={(e) => set({ taxNumber: String(e.detail?.value ?? '') })} />
      ) : null}
      <Input className="input invoice-email" value={title.email ?? ''} placeholder="电子邮箱（选填）" onInput={(e) => set({ email: String(e.detail?.value ?? '') })} />
      <Button className="btn btn-primary invoice-submit" disabled={busy || !ready} onClick={() => void submit(true)}>
        {busy ? '正在提交…' : '提交开票'}
      </Button>
      {platform() !== 'alipay' ? (
        <Button className="btn btn-secondary invoice-wechat-title" disabled={busy} onClick={() => void submit(false)}>
          使用微信发票抬头
        </Button>
      ) : null}
      <Text className="muted">发票金额为实付金额（已扣除退款）；每笔支付只能开一张发票。</Text>
      {error ? <ErrorState error={error} /> : null}
    </View>
  );
}

function ForPayment({ kind, payRef }: { kind: 'order' | 'deduction' | 'pass'; payRef: string }) {
  const option = useLoader(() => call(invoiceEndpoints.forPayment, { query: { kind, ref: payRef } }), [kind, payRef]);
  const [made, setMade] = useState<InvoiceView | undefined>();
  if (option.state === 'loading') return <Loading />;
  if (option.state === 'error') return <ErrorState error={option.error} onRetry={option.reload} />;
  const inv = made ?? option.data.invoice ?? undefined;
  if (inv) return <InvoiceDetail initial={inv} />;
  if (!option.data.available) return <Notice title={INVOICE_REASON_TEXT[option.data.reason ?? ''] ?? '暂不能开票'} tone="warn" />;
  return <RequestForm kind={kind} payRef={payRef} netFen={option.data.payment.netFen} onDone={setMade} />;
}

function One({ id }: { id: string }) {
  const inv = useLoader(() => call(invoiceEndpoints.get, { params: { invoiceId: id } }), [id]);
  if (inv.state === 'loading') return <Loading />;
  if (inv.state === 'error') return <ErrorState error={inv.error} onRetry={inv.reload} />;
  return <InvoiceDetail initial={inv.data} />;
}

/** What is left of a payment after its refund (what an invoice would be for). */
const netOf = (p: PaymentEntry) => p.amountFen - (p.refund?.state === 'done' ? p.refund.fen : 0);

/**
 * 合并开票: several WeChat Pay payments not invoiced yet on one invoice. WeChat issues such an invoice only
 * under a title chosen on its title page, so the request goes there (not offered in Alipay).
 */
function Combine({ invoiced }: { invoiced: Set<string> }) {
  const [open, setOpen] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Err | undefined>();
  const payments = useLoader(async () => (open ? (await call(historyEndpoints.payments, {})).payments : []), [open]);
  if (platform() === 'alipay') return null;
  if (!open) {
    return (
      <Button className="btn btn-secondary invoice-combine-open" onClick={() => setOpen(true)}>
        多笔支付合并开票
      </Button>
    );
  }
  if (payments.state === 'loading') return <Loading />;
  if (payments.state === 'error') return <ErrorState error={payments.error} onRetry={payments.reload} />;
  const candidates = payments.data.filter((p) => p.channel === 'wechat' && (p.status === 'paid' || (p.status === 'refunded' && netOf(p) > 0)) && !invoiced.has(p.ref));
  const chosen = candidates.filter((p) => picked.includes(p.ref));
  const toggle = (ref: string) => setPicked((now) => (now.includes(ref) ? now.filter((r) => r !== ref) : now.length < 20 ? [...now, ref] : now));
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const items = chosen.map((p) => ({ kind: p.kind === 'deduction' ? ('deduction' as const) : ('order' as const), ref: p.ref }));
      const v = await call(invoiceEndpoints.request, { body: { items, title: null } });
      void Taro.navigateTo({ url: pageUrl('invoice', { id: v.id }) });
      openTitlePage(v);
    } catch (e) {
      setError(errorOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <View className="card invoice-combine">
      <Text className="section-title">合并开票</Text>
      {candidates.length === 0 ? <Text className="muted">没有可以合并开票的微信支付。</Text> : null}
      {candidates.map((p) => (
        <View key={p.ref} className={`invoice-pick${picked.includes(p.ref) ? ' invoice-pick-on' : ''}`} data-ref={p.ref} onClick={() => toggle(p.ref)}>
          <Text className="invoice-pick-box">{picked.includes(p.ref) ? '☑' : '☐'}</Text>
          <Text className="invoice-pick-text">
            {p.plate} · {p.parkName} · {dateTime(p.at)}
          </Text>
          <Text className="invoice-pick-amount">{yuan(netOf(p))}</Text>
        </View>
      ))}
      <Button className="btn btn-primary invoice-combine-submit" disabled={busy || chosen.length < 2} onClick={() => void submit()}>
        {busy ? '正在提交…' : `合并开票（${chosen.length} 笔，${yuan(chosen.reduce((sum, p) => sum + netOf(p), 0))}）`}
      </Button>
      <Text className="muted">至少两笔、最多 20 笔；抬头在微信发票助手中填写。</Text>
      {error ? <ErrorState error={error} /> : null}
    </View>
  );
}

function List() {
  const list = useLoader(() => call(invoiceEndpoints.list, {}), []);
  if (list.state === 'loading') return <Loading />;
  if (list.state === 'error') return <ErrorState error={list.error} onRetry={list.reload} />;
  // A payment stays on its invoice unless that invoice was cancelled.
  const invoiced = new Set(list.data.invoices.filter((i) => i.status !== 'cancelled').flatMap((i) => i.items.map((it) => it.ref)));
  return (
    <>
      {!list.data.invoices.length ? <Text className="muted">还没有发票。在缴费记录的凭证页可申请开票。</Text> : null}
      {list.data.invoices.map((i) => (
        <View key={i.id} className="card invoice-item" onClick={() => void Taro.navigateTo({ url: pageUrl('invoice', { id: i.id }) })}>
          <Row label={i.title?.name ?? '待填写抬头'} strong>
            {yuan(i.totalFen)}
          </Row>
          <Row label="状态">{INVOICE_STATUS_LABELS[i.status]}</Row>
          <Text className="muted">{dateTime(i.createdAt)}</Text>
        </View>
      ))}
      <Combine invoiced={invoiced} />
    </>
  );
}

export default function InvoicePage() {
  const { params } = useRouter();
  const id = param(params, 'id');
  const kind = param(params, 'kind');
  const ref = param(params, 'ref');
  return (
    <View className="page page-invoice">
      <Text className="page-title">电子发票</Text>
      {id ? <One id={id} /> : kind && ref && (kind === 'order' || kind === 'deduction' || kind === 'pass') ? <ForPayment kind={kind} payRef={ref} /> : <List />}
    </View>
  );
}

/**
 * E-invoices over HTTP (contracts: shared/api/invoices.ts): the driver's, the operator's, the PDF behind a
 * short-lived signed link (no bearer header: a mini-program's downloadFile and a browser tab cannot send one),
 * and WeChat Pay's FAPIAO.* notifications (POST /notify/wechatpay/fapiao, verified like every WeChat Pay
 * notification; a repeat changes nothing, a forged one is refused).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import { rawJson } from '../notify/router';
import type { Context } from 'koa';
import { invoiceEndpoints, opInvoiceEndpoints, type InvoiceView, type OpInvoiceView } from '../../../../shared/api/invoices';
import type { Clock } from '../../core/clock';
import { HttpError } from '../http/errors';
import type { Invoice } from '../../core/invoicing/model';
import type { InvoicingEvent } from '../../core/invoicing/provider';
import type { InvoicingService } from '../../core/invoicing/service';
import { assertRole } from '../../core/operators/model';
import type { AppState } from '../http/middleware';
import { mount } from './mount';

export const INVOICE_NOTIFY_PATHS = { wechat: '/notify/wechatpay/fapiao' } as const;
export const INVOICE_FILE_PATH = '/api/invoice-files/:invoiceId';

export interface InvoiceLinks {
  /** Our public base URL: links are absolute (the mini-program downloads them). */
  publicUrl: string;
  urlSigningKey: string;
  clock: Clock;
  /** How long a PDF link works (default 10 minutes). */
  ttlMs?: number;
}

function sign(key: string, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url').slice(0, 32);
}

export function pdfLink(links: InvoiceLinks, invoiceId: string): string {
  const exp = links.clock.now() + (links.ttlMs ?? 10 * 60_000);
  return `${links.publicUrl}/api/invoice-files/${invoiceId}?e=${exp}&s=${sign(links.urlSigningKey, `invoice:${invoiceId}:${exp}`)}`;
}

const iso = (d: Date) => new Date(d).toISOString();

export function invoiceView(inv: Invoice, links: InvoiceLinks): InvoiceView {
  const issued = [...inv.fapiao].reverse().find((f) => f.state === 'issued');
  return {
    id: inv.id,
    status: inv.status,
    totalFen: inv.totalFen,
    provider: inv.provider,
    titleSource: inv.titleSource,
    title: inv.title ? { type: inv.title.type, name: inv.title.name, taxNumber: inv.title.taxNumber ?? null, email: inv.title.email ?? null, phone: inv.title.phone ?? null } : null,
    titlePage: inv.status === 'awaiting_title' && inv.titleLink ? { url: inv.titleLink.url, miniprogram: { appId: inv.titleLink.miniprogram.appId, path: inv.titleLink.miniprogram.path } } : null,
    items: inv.items.map((i) => ({ kind: i.kind, ref: i.ref, parkNumber: i.parkNumber, plate: i.plate })),
    fapiao: inv.fapiao.map((f) => ({
      fapiaoId: f.fapiaoId,
      state: f.state,
      totalFen: f.totalFen,
      taxFen: f.taxFen ?? null,
      code: f.blue?.code ?? null,
      number: f.blue?.number ?? null,
      issuedAt: f.blue?.time || null,
      red: f.red ? { code: f.red.code, number: f.red.number, time: f.red.time || null } : null,
      cardStatus: f.cardStatus ?? null,
    })),
    pdfUrl: issued && inv.status === 'issued' ? pdfLink(links, inv.id) : null,
    reason: inv.reason ?? null,
    createdAt: iso(inv.createdAt),
    updatedAt: iso(inv.updatedAt),
  };
}

function opView(inv: Invoice, links: InvoiceLinks): OpInvoiceView {
  return { ...invoiceView(inv, links), driverId: inv.driverId, lastError: inv.lastError ?? null, events: (inv.events ?? []).map((e) => ({ at: iso(e.at), what: e.what })) };
}

export function mountInvoiceRoutes(router: Router, invoicing: InvoicingService, links: InvoiceLinks, kick: () => void): void {
  const view = (inv: Invoice) => invoiceView(inv, links);
  mount(router, invoiceEndpoints.list, async ({ driver }) => ({ invoices: (await invoicing.listForDriver(driver.id)).map(view) }));

  mount(router, invoiceEndpoints.forPayment, async ({ driver, query }) => {
    const o = await invoicing.option(driver.id, { kind: query.kind, ref: query.ref });
    return {
      payment: { kind: o.item.kind, ref: o.item.ref, netFen: o.netFen, provider: o.item.provider },
      invoice: o.invoice && o.invoice.driverId === driver.id ? view(o.invoice) : null,
      available: o.unavailable === undefined,
      reason: o.unavailable ?? null,
    };
  });

  mount(router, invoiceEndpoints.request, async ({ driver, body }) => {
    const inv = await invoicing.request(driver.id, body.items, body.title ?? { source: 'provider' });
    kick();
    return view(inv);
  });

  mount(router, invoiceEndpoints.get, async ({ driver, params }) => view(await invoicing.get(driver.id, params.invoiceId)));
  mount(router, invoiceEndpoints.titlePage, async ({ driver, params }) => view(await invoicing.titlePage(driver.id, params.invoiceId)));
  mount(router, invoiceEndpoints.titleDone, async ({ driver, params }) => {
    const inv = await invoicing.titleReturned(driver.id, params.invoiceId);
    kick();
    return view(inv);
  });
  mount(router, invoiceEndpoints.cancel, async ({ driver, params }) => view(await invoicing.cancel(driver.id, params.invoiceId)));

  mount(router, opInvoiceEndpoints.list, async ({ operator, params, query }) => {
    assertRole(operator, 'admin', 'operator');
    const list = await invoicing.listForPark(params.parkNumber, query.status, query.limit, query.before ? new Date(query.before) : undefined);
    return { invoices: list.map((i) => opView(i, links)) };
  });
  mount(router, opInvoiceEndpoints.resend, async ({ operator, params, ctx }) => {
    assertRole(operator, 'admin', 'operator');
    (ctx.state as { auditTarget?: string }).auditTarget = `invoice ${params.invoiceId}`;
    const inv = await invoicing.resend(params.parkNumber, params.invoiceId, operator.username);
    kick();
    return opView(inv, links);
  });

  // The PDF: the link's signature and expiry are the authorization.
  router.get(INVOICE_FILE_PATH, async (ctx) => {
    const id = String(ctx.params.invoiceId ?? '');
    const exp = Number(ctx.query.e);
    const given = String(ctx.query.s ?? '');
    const want = sign(links.urlSigningKey, `invoice:${id}:${exp}`);
    const valid = /^IV[0-9A-Z]{6,30}$/.test(id) && Number.isFinite(exp) && given.length === want.length && timingSafeEqual(Buffer.from(given), Buffer.from(want));
    if (!valid) throw new HttpError('link_invalid', 'this link is not valid', 403);
    if (exp < links.clock.now()) throw new HttpError('link_expired', 'this link has expired: open the invoice again', 410);
    const { pdf, fapiao } = await invoicing.file(undefined, id);
    ctx.set('cache-control', 'private, max-age=60');
    ctx.set('content-disposition', `inline; filename="fapiao-${fapiao.blue?.number ?? fapiao.fapiaoId}.pdf"`);
    ctx.set('x-content-type-options', 'nosniff');
    ctx.type = 'application/pdf';
    ctx.body = pdf;
  });
}

/** POST /notify/wechatpay/fapiao: verified (the provider's verifier), then the invoice is looked at now. */
export function invoiceNotifyRouter(deps: {
  verify: (input: { headers: Record<string, string>; rawBody: string }) => Promise<InvoicingEvent>;
  invoicing: Pick<InvoicingService, 'onEvent'>;
  kick: () => void;
}): Router {
  const router = new Router();
  router.post(INVOICE_NOTIFY_PATHS.wechat, rawJson, async (ctx: Context) => {
    const log = (ctx.state as AppState).log;
    let ev: InvoicingEvent;
    try {
      ev = await deps.verify({ headers: ctx.headers as Record<string, string>, rawBody: ctx.request.rawBody ?? '' });
    } catch (e) {
      log?.warn({ err: (e as Error).message }, 'WeChat Pay fapiao notification refused');
      ctx.status = 401;
      ctx.body = { code: 'FAIL', message: 'verification failed' };
      return;
    }
    const known = await deps.invoicing.onEvent(ev);
    log?.info({ kind: ev.kind, applyId: ev.applyId, known }, 'WeChat Pay fapiao notification');
    deps.kick();
    ctx.status = 204;
  });
  return router;
}

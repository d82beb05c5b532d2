/** /api/op/parks/:parkNumber/coupons* and …/fixed-coupons* (contracts: shared/api/op-coupons.ts). */
import type Router from '@koa/router';
import { opCouponEndpoints as ep, type CouponView, type FixedCodeView } from '../../../../shared/api/op-coupons';
import type { Coupon, FixedCode } from '../../core/coupons/model';
import type { CouponService } from '../../core/coupons/service';
import { auditFacts, mount } from './mount';

const iso = (d: Date | undefined | null) => (d ? new Date(d).toISOString() : null);

export function couponView(c: Coupon): CouponView {
  return {
    couponCode: c.couponCode,
    parkNumber: c.parkNumber,
    kind: c.kind,
    minutes: c.kind === 'hours' ? c.amount : null,
    fen: c.kind === 'money' ? c.amount : null,
    end: c.end.toISOString(),
    orderId: c.orderId,
    plate: c.plate,
    status: c.status,
    via: c.via,
    fixedCode: c.fixedCode ?? null,
    issuer: { username: c.issuer.username, role: c.issuer.role, displayName: c.issuer.displayName ?? null },
    attempts: c.attempts,
    nextAttemptAt: iso(c.nextAttemptAt),
    lastError: c.lastError ?? null,
    refusal: c.refusal ?? null,
    usedAtExit: c.usedAtExit ? { outTradeNo: c.usedAtExit.outTradeNo, fen: c.usedAtExit.fen, at: c.usedAtExit.at.toISOString() } : null,
    revoked: c.revoked ? { at: c.revoked.at.toISOString(), by: c.revoked.by } : null,
    memo: c.memo,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function fixedCodeView(f: FixedCode): FixedCodeView {
  return {
    code: f.code,
    parkNumber: f.parkNumber,
    kind: f.kind,
    minutes: f.kind === 'hours' ? f.amount : null,
    fen: f.kind === 'money' ? f.amount : null,
    end: f.end.toISOString(),
    maxUses: f.maxUses ?? null,
    uses: f.uses,
    disabled: f.disabled,
    label: f.label,
    issuer: { username: f.issuer.username, role: f.issuer.role, displayName: f.issuer.displayName ?? null },
    createdAt: f.createdAt.toISOString(),
  };
}

const couponAmountFacts = (kind: 'hours' | 'money', amount: number) => (kind === 'hours' ? { kind, minutes: amount } : { kind, fen: amount });

/** A coupon as the audit log names it (shared/api/op-audit.ts). */
function couponFacts(c: Coupon) {
  return { couponCode: c.couponCode, plate: c.plate, ...couponAmountFacts(c.kind, c.amount), status: c.status, refusal: c.refusal ?? undefined };
}

export function mountOpCouponRoutes(router: Router, coupons: CouponService): void {
  mount(router, ep.issue, async ({ params, body, operator, ctx }) => {
    const amount = body.kind === 'hours' ? body.minutes : body.fen;
    auditFacts(ctx, ep.issue, { plate: body.plate, orderId: body.orderId, ...couponAmountFacts(body.kind, amount) });
    const c = await coupons.issue(operator, params.parkNumber, {
      requestId: body.requestId,
      plate: body.plate,
      orderId: body.orderId,
      kind: body.kind,
      amount,
      end: body.end ? new Date(body.end) : undefined,
      memo: body.memo,
    });
    auditFacts(ctx, ep.issue, couponFacts(c));
    return couponView(c);
  });

  mount(router, ep.list, async ({ params, query, operator }) => ({
    coupons: (await coupons.list(operator, params.parkNumber, { plate: query.plate, status: query.status, limit: query.limit })).map(couponView),
  }));

  mount(router, ep.get, async ({ params, operator }) => couponView(await coupons.get(operator, params.parkNumber, params.couponCode)));

  mount(router, ep.revoke, async ({ params, operator, ctx }) => {
    const c = await coupons.revoke(operator, params.parkNumber, params.couponCode);
    auditFacts(ctx, ep.revoke, couponFacts(c));
    return couponView(c);
  });

  mount(router, ep.redeliver, async ({ params, operator, ctx }) => {
    const c = await coupons.redeliver(operator, params.parkNumber, params.couponCode);
    auditFacts(ctx, ep.redeliver, couponFacts(c));
    return couponView(c);
  });

  mount(router, ep.createFixed, async ({ params, body, operator, ctx }) => {
    auditFacts(ctx, ep.createFixed, { ...couponAmountFacts(body.kind, body.kind === 'hours' ? body.minutes : body.fen), maxUses: body.maxUses, label: body.label || undefined, end: body.end });
    const f = await coupons.createFixed(operator, params.parkNumber, {
      kind: body.kind,
      amount: body.kind === 'hours' ? body.minutes : body.fen,
      end: new Date(body.end),
      maxUses: body.maxUses,
      label: body.label,
    });
    auditFacts(ctx, ep.createFixed, { code: f.code, end: f.end.toISOString() });
    return fixedCodeView(f);
  });

  mount(router, ep.listFixed, async ({ params, operator }) => ({ codes: (await coupons.listFixed(operator, params.parkNumber)).map(fixedCodeView) }));

  mount(router, ep.disableFixed, async ({ params, operator, ctx }) => {
    const f = await coupons.setFixedDisabled(operator, params.parkNumber, params.code, true);
    auditFacts(ctx, ep.disableFixed, { label: f.label || undefined });
    return fixedCodeView(f);
  });

  mount(router, ep.enableFixed, async ({ params, operator, ctx }) => {
    const f = await coupons.setFixedDisabled(operator, params.parkNumber, params.code, false);
    auditFacts(ctx, ep.enableFixed, { label: f.label || undefined });
    return fixedCodeView(f);
  });
}

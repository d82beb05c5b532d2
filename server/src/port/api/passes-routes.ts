/**
 * Monthly passes for drivers and operators (contracts: shared/api/passes.ts). A driver's purchase of
 * another driver reads as not found; an operator sees the purchases of their parks only (mount's scoping).
 */
import type Router from '@koa/router';
import { opPassEndpoints, passEndpoints, type PurchaseView } from '../../../../shared/api/passes';
import type { PassOffer } from '../../core/passes/model';
import type { PassService, PurchaseView as CorePurchaseView } from '../../core/passes/service';
import { auditFacts, mount } from './mount';
import { walletIdentity } from './orders-routes';

export function purchaseView({ purchase: p, order, notice }: CorePurchaseView): PurchaseView {
  return {
    purchaseNo: p.purchaseNo,
    parkNumber: p.parkNumber,
    plate: p.plate,
    months: p.months,
    priceFen: p.priceFen,
    areaIds: p.areaIds,
    state: p.state,
    validTo: p.state === 'active' ? (p.validTo ?? null) : null,
    notice,
    order: order ? { orderNo: order.orderNo, status: order.status, expiresAt: order.expiresAt.toISOString(), wallet: order.provider ?? null } : null,
    refund: order?.refund ? { fen: order.refund.fen, state: order.refund.state, reason: order.refund.reason } : null,
    createdAt: p.createdAt.toISOString(),
  };
}

function offerView(o: PassOffer) {
  return { parkNumber: o.parkNumber, areaIds: o.areaIds, prices: o.prices, newPlates: o.newPlates, text: o.text };
}

function opOfferView(o: PassOffer) {
  return { ...offerView(o), maxPasses: o.maxPasses, status: o.status, updatedBy: o.updatedBy, updatedAt: o.updatedAt.toISOString() };
}

export function mountPassRoutes(router: Router, passes: PassService): void {
  mount(router, passEndpoints.plate, async ({ driver, params }) => {
    const { offer, validity, purchases, areas } = await passes.plate(driver.id, params.parkNumber, params.plate);
    return {
      offer: offer ? offerView(offer) : null,
      validity: { source: validity.source, start: validity.start, end: validity.end, areas: validity.areas },
      purchases: purchases.map(purchaseView),
      areas,
    };
  });
  mount(router, passEndpoints.buy, async ({ driver, params, body, ctx }) => {
    const made = await passes.buy(driver.id, params.parkNumber, body.plate, body.months);
    ctx.state.auditTarget = made.purchase.purchaseNo;
    return purchaseView(made);
  });
  mount(router, passEndpoints.pay, async ({ driver, params, body }) => {
    const { payer } = walletIdentity(driver, body.wallet);
    const { view, pay } = await passes.pay(driver.id, params.purchaseNo, body.wallet, payer);
    return {
      purchase: purchaseView(view),
      pay: pay.provider === 'wechat' ? { wallet: 'wechat' as const, requestPayment: pay.requestPayment } : { wallet: 'alipay' as const, tradeNo: pay.tradeNo },
    };
  });
  mount(router, passEndpoints.purchase, async ({ driver, params }) => purchaseView(await passes.view(driver.id, params.purchaseNo)));
  mount(router, passEndpoints.mine, async ({ driver }) => ({ purchases: (await passes.mine(driver.id)).map(purchaseView) }));

  mount(router, opPassEndpoints.offer, async ({ operator, params }) => {
    const { offer, areas } = await passes.offerFor(operator, params.parkNumber);
    return { offer: offer ? opOfferView(offer) : null, areas };
  });
  mount(router, opPassEndpoints.putOffer, async ({ operator, params, body, ctx }) => {
    auditFacts(ctx, opPassEndpoints.putOffer, { status: body.status ?? 'on_sale', prices: body.prices, areaIds: body.areaIds, newPlates: body.newPlates, maxPasses: body.maxPasses });
    return opOfferView(await passes.putOffer(operator, params.parkNumber, body));
  });
  mount(router, opPassEndpoints.purchases, async ({ operator, params }) => ({
    purchases: (await passes.purchasesOfPark(operator, params.parkNumber)).map((v) => ({ ...purchaseView(v), driverId: v.purchase.driverId })),
  }));
}

/**
 * The driver's fees and payments (contracts: shared/api/orders.ts). Every route acts for the session's
 * driver only: another driver's order number reads as not found.
 */
import type Router from '@koa/router';
import { orderEndpoints, type OrderView, type Wallet } from '../../../../shared/api/orders';
import { HttpError } from '../http/errors';
import type { Driver } from '../../core/identity/model';
import type { Payer } from '../../core/orders/gateways';
import type { Order } from '../../core/orders/model';
import type { Fee, OrderService } from '../../core/orders/orders';
import { mount } from './mount';

/** The driver's identity in one wallet: who pays, and (for unlicensed cars) who scanned (4.29/4.30 codeKind + authId). */
export function walletIdentity(driver: Driver, wallet: Wallet): { payer: Payer; codeKind: '1' | '2'; authId: string } {
  if (wallet === 'wechat') {
    if (!driver.wechatOpenId) throw new HttpError('wallet_not_linked', 'log in with WeChat to pay with WeChat Pay', 409);
    return { payer: { openId: driver.wechatOpenId }, codeKind: '1', authId: driver.wechatOpenId };
  }
  const authId = driver.alipayUserId ?? driver.alipayOpenId;
  if (!authId) throw new HttpError('wallet_not_linked', 'log in with Alipay to pay with Alipay', 409);
  return { payer: { openId: driver.alipayOpenId, userId: driver.alipayUserId }, codeKind: '2', authId };
}

const iso = (d: Date | undefined | null) => (d ? new Date(d).toISOString() : null);

/** The driver's latest delivered payment of this stay, if any (the fee explains an overstay with it). */
function lastPaymentOf(f: Fee, history: Order[]) {
  const paid = history
    .filter((o) => o.parkNumber === f.parkNumber && o.orderId === f.orderId && o.payment && (o.status === 'delivered' || o.status === 'paid'))
    .sort((a, b) => new Date(b.payment!.paidAt).getTime() - new Date(a.payment!.paidAt).getTime())[0];
  if (!paid?.payment) return null;
  const paidAt = new Date(paid.payment.paidAt);
  return { fen: paid.payment.paidFen, paidAt: paidAt.toISOString(), leaveBy: new Date(paidAt.getTime() + paid.quote.paidFreeMinutes * 60_000).toISOString() };
}

function feeView(f: Fee, history: Order[] = []) {
  return {
    parkNumber: f.parkNumber,
    plate: f.plate,
    inTime: f.inTime,
    stopMinutes: f.stopMinutes,
    chargeFen: f.chargeFen,
    paidFen: f.paidFen,
    discountFen: f.discountFen,
    payFen: f.payFen,
    paidFreeMinutes: f.paidFreeMinutes,
    order: f.order ? { orderNo: f.order.orderNo, status: f.order.status, expiresAt: f.order.expiresAt.toISOString() } : null,
    coupons: (f.coupons ?? []).map((c) => ({ kind: c.kind, amount: c.amount, end: c.end.toISOString(), state: c.state, from: c.from })),
    lastPayment: f.paidFen > 0 ? lastPaymentOf(f, history) : null,
  };
}

/** With something paid before, the driver's history says when (one read, only then). */
async function feeWithHistory(orders: OrderService, driverId: string, f: Fee) {
  return feeView(f, f.paidFen > 0 ? await orders.list(driverId) : []);
}

export function orderView(o: Order, leftAt?: Date | null): OrderView {
  const delivered = o.delivery?.deliveredAt;
  return {
    orderNo: o.orderNo,
    kind: o.kind,
    parkNumber: o.parkNumber,
    plate: o.plate,
    status: o.status,
    amountFen: o.amountFen,
    fee: {
      inTime: o.quote.inTime,
      stopMinutes: o.quote.stopMinutes,
      chargeFen: o.quote.chargeFen,
      paidFen: o.quote.paidTotalFen,
      discountFen: o.quote.profitChargeTotalFen,
      paidFreeMinutes: o.quote.paidFreeMinutes,
    },
    wallet: o.provider ?? null,
    createdAt: o.createdAt.toISOString(),
    expiresAt: o.expiresAt.toISOString(),
    paidAt: iso(o.payment?.paidAt),
    deliveredAt: iso(delivered),
    // The lot's paid free time runs from the payment it was told of.
    leaveBy: delivered && o.payment && o.kind !== 'booking' && o.kind !== 'pass' ? new Date(new Date(o.payment.paidAt).getTime() + o.quote.paidFreeMinutes * 60_000).toISOString() : null,
    refund: o.refund ? { reason: o.refund.reason, fen: o.refund.fen, state: o.refund.state, refundedAt: iso(o.refund.refundedAt) } : null,
    closedReason: o.closedReason ?? null,
    leftAt: leftAt ? leftAt.toISOString() : null,
  };
}

export interface OrderRouteHooks {
  /** An unlicensed car entered on this driver's identity (for "my parking"). */
  onUnlicensedEntry?: (driverId: string, parkNumber: string, entered: { plate: string; inTime: string; inImage: string }) => Promise<void>;
  /** When the car of a stay left the park (the lot's exit record), if it has. */
  leftAt?: (parkNumber: string, orderId: string) => Promise<Date | undefined>;
}

export function mountOrderRoutes(router: Router, orders: OrderService, hooks: OrderRouteHooks = {}): void {
  mount(router, orderEndpoints.prepayFee, async ({ driver, body }) => feeWithHistory(orders, driver.id, await orders.quotePrepay(driver.id, body.parkNumber, body.plate)));

  mount(router, orderEndpoints.unlicensedEntry, async ({ driver, body }) => {
    const who = walletIdentity(driver, body.wallet);
    const entered = await orders.enterUnlicensed(body.parkNumber, { codeKind: who.codeKind, authId: who.authId, passagewayId: body.passagewayId });
    await hooks.onUnlicensedEntry?.(driver.id, body.parkNumber, entered);
    return { parkNumber: body.parkNumber, ...entered };
  });

  mount(router, orderEndpoints.unlicensedExitFee, async ({ driver, body }) => {
    const who = walletIdentity(driver, body.wallet);
    return feeWithHistory(orders, driver.id, await orders.quoteUnlicensedExit(driver.id, body.parkNumber, { codeKind: who.codeKind, authId: who.authId, passagewayId: body.passagewayId }));
  });

  mount(router, orderEndpoints.pay, async ({ driver, params, body }) => {
    const { payer } = walletIdentity(driver, body.wallet);
    const { order, pay } = await orders.pay(driver.id, params.orderNo, body.wallet, payer);
    return {
      order: orderView(order),
      pay: pay.provider === 'wechat' ? { wallet: 'wechat' as const, requestPayment: pay.requestPayment } : { wallet: 'alipay' as const, tradeNo: pay.tradeNo },
    };
  });

  mount(router, orderEndpoints.order, async ({ driver, params }) => {
    const order = await orders.view(driver.id, params.orderNo);
    // A paid stay's car leaving ends its time to leave: the app stops counting down.
    const stay = order.kind === 'prepay' || order.kind === 'unlicensed_exit';
    const leftAt = stay && order.status === 'delivered' && hooks.leftAt ? await hooks.leftAt(order.parkNumber, order.orderId) : undefined;
    return orderView(order, leftAt);
  });
  mount(router, orderEndpoints.cancel, async ({ driver, params }) => orderView(await orders.cancel(driver.id, params.orderNo)));
  mount(router, orderEndpoints.orders, async ({ driver }) => ({ orders: (await orders.list(driver.id)).map((o) => orderView(o)) }));
}

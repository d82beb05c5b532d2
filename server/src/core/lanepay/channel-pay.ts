/**
 * 4.27, third-party channel pay (spec 4.27.1): the driver scanned the lane's fixed code, opened Bluecard's
 * pay page and chose our payment; Bluecard sends plateID (URL-encoded), payCharge and outTradeNo, and opens
 * the barrier when we answer success. The spec allows answering success before the money is taken ("第三方
 * 可先返回 success 再扣费"); ParkPay answers success only when the lane deduction (lane-deductions.ts) says
 * the money is secured — or accepted, where the park's channelPayPolicy takes that.
 */
import { fenToYuan, yuanToFen } from '../../../../shared/money';
import { decodePlate } from '../../../../shared/plate';
import type { OrderRepository } from '../orders/model';
import type { OrderService } from '../orders/orders';
import type { Park } from '../parks';
import type { LaneDeductionService } from './lane-deductions';

export interface ChannelPayDeps {
  deductions: Pick<LaneDeductionService, 'offersWithholding' | 'deduct'>;
  /** A 4.16 QR for the same outTradeNo (lane-qr.ts) must not be paid as well. */
  orders: Pick<OrderRepository, 'byOutTradeNo'>;
  orderService: Pick<OrderService, 'cancel'>;
}

export type ChannelPayOutcome = { ok: true } | { ok: false; errorCode: string };

export class ChannelPayService {
  constructor(private readonly deps: ChannelPayDeps) {}

  async pay(park: Park, req: { plateID: string; payCharge: string; outTradeNo: string }): Promise<ChannelPayOutcome> {
    const plate = decodePlate(req.plateID).trim();
    const amountFen = yuanToFen(req.payCharge);
    // Nothing owed: nothing to take, and the barrier may open.
    if (amountFen === 0) return { ok: true };
    if (!this.deps.deductions.offersWithholding()) {
      return { ok: false, errorCode: 'not_offered: ParkPay offers no withholding agreements here (third-party channel payment, 4.27)' };
    }

    // The same price was put on the lane screen as a QR (4.16): paid → that is the money; unpaid → close it first.
    const qr = await this.deps.orders.byOutTradeNo(park.parkNumber, req.outTradeNo);
    if (qr) {
      let status = qr.status;
      // Only a lane QR is closed here; a driver paying this price in the app is left to finish.
      if (qr.kind === 'lane_qr' && (status === 'pending' || status === 'quoted')) status = (await this.deps.orderService.cancel(qr.driverId, qr.orderNo)).status;
      if (status === 'paid' || status === 'delivered') {
        return qr.amountFen === amountFen ? { ok: true } : { ok: false, errorCode: `amount_mismatch: this outTradeNo was paid ${fenToYuan(qr.amountFen)} yuan by QR` };
      }
      if (status === 'pending' || status === 'quoted') return { ok: false, errorCode: 'in_progress: this outTradeNo is being paid another way (a QR or the ParkPay app); ask again' };
    }

    const out = await this.deps.deductions.deduct({
      park,
      outTradeNo: req.outTradeNo,
      plate,
      amountFen,
      via: '4.27',
      policy: park.settings?.channelPayPolicy ?? 'secured',
    });
    if (out.kind === 'secured' || out.kind === 'accepted') return { ok: true };
    return { ok: false, errorCode: out.reason };
  }
}

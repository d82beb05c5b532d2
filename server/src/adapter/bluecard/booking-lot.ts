/** The booking service's BookingLot over the Bluecard client: 4.18 synBookingCar (flag 1 / 0), 4.19 queryBookingCar. */
import type { BookingLot, LotBooking, LotOpenBooking } from '../../core/bookings/model';
import { LotCallError } from '../../core/orders/gateways';
import type { Park } from '../../core/parks';
import type { BluecardClient } from './client';
import { BluecardError } from './errors';

function lotError(e: unknown): never {
  if (e instanceof BluecardError) throw new LotCallError(e.message, e.retryable, e.kind === 'rejected', e.errorCode);
  throw e;
}

const args = (b: LotBooking, action: 'book' | 'cancel') => ({
  plate: b.plate,
  action,
  start: b.start,
  end: b.end,
  areaId: String(b.areaId),
  chargeFen: b.chargeFen,
  bookOrderId: b.bookOrderId,
  bookOrderTime: b.bookOrderTime,
  letInStartTime: b.letInStart,
  letInEndTime: b.letInEnd,
  memo: b.memo,
});

export class BluecardBookingLot implements BookingLot {
  constructor(private readonly client: BluecardClient) {}

  async issue(park: Park, b: LotBooking): Promise<void> {
    await this.client.synBookingCar(park, [args(b, 'book')]).catch(lotError);
  }

  async cancel(park: Park, b: LotBooking): Promise<void> {
    await this.client.synBookingCar(park, [args(b, 'cancel')]).catch(lotError);
  }

  async openBookings(park: Park): Promise<LotOpenBooking[]> {
    const datas = await this.client.queryBookingCar(park, {}).catch(lotError);
    return datas.bookList.map((x) => ({
      plate: x.plate ?? '',
      start: x.start ?? '',
      end: x.end ?? '',
      downTime: x.downTime ?? '',
      inTime: x.inTime ?? '',
      bookOrderId: x.bookOrderId,
      bookOrderTime: x.bookOrderTime ?? '',
      letInStartTime: x.letInStartTime ?? '',
      letInEndTime: x.letInEndTime ?? '',
      memo: x.memo ?? '',
    }));
  }
}

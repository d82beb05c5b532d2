import { AppError } from '../errors';

/** Every code the bookings module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type BookingErrorCode =
  | 'already_admitted'
  | 'booking_issuing'
  | 'booking_not_payable'
  | 'cancel_too_late'
  | 'invalid_offer'
  | 'invalid_plate'
  | 'lot_refused'
  | 'lot_unreachable'
  | 'no_bookable_spaces'
  | 'not_found'
  | 'offer_closed'
  | 'park_unknown'
  | 'plate_already_booked'
  | 'sold_out';

export class BookingError extends AppError<BookingErrorCode> {
  readonly module = 'bookings';
}

/**
 * The HTTP status of each core error: core says what went wrong (a code of its module), the app API says
 * how that is answered. One table per module, total over the module's codes (the compiler checks both).
 */
import type { AppError } from '../../core/errors';
import type { AgreementError } from '../../core/agreements/errors';
import type { BookingError } from '../../core/bookings/errors';
import type { CouponError } from '../../core/coupons/errors';
import type { HistoryError } from '../../core/history/errors';
import type { IdentityError } from '../../core/identity/errors';
import type { InvoiceError } from '../../core/invoicing/errors';
import type { ListError } from '../../core/lists/errors';
import type { LotError } from '../../core/lot/errors';
import type { MessageError } from '../../core/messages/errors';
import type { OperatorError } from '../../core/operators/errors';
import type { OrderError } from '../../core/orders/errors';
import type { ParkingError } from '../../core/parking/errors';
import type { PassError } from '../../core/passes/errors';
import type { ReconciliationError } from '../../core/reconciliation/errors';
import { HttpError } from './errors';

/** Every error core throws. */
export type CoreError =
  | AgreementError
  | BookingError
  | CouponError
  | HistoryError
  | IdentityError
  | InvoiceError
  | ListError
  | LotError
  | MessageError
  | OperatorError
  | OrderError
  | ParkingError
  | PassError
  | ReconciliationError;

type StatusTables = { readonly [E in CoreError as E['module']]: Readonly<Record<E['code'], number>> };

export const ERROR_STATUS: StatusTables = {
  agreements: {
    agreement_active: 409,
    deduction_conflict: 409,
    end_with_provider: 409,
    invalid_amount: 400,
    invalid_plate: 400,
    invalid_plate_color: 400,
    invalid_stay: 400,
    not_found: 404,
    park_unknown: 404,
    payer_required: 400,
    plate_not_bound: 409,
    provider_refused: 502,
    provider_unavailable: 503,
    provider_unreachable: 503,
    refund_conflict: 409,
    unauthenticated: 401,
    wallet_not_linked: 409,
  },
  bookings: {
    already_admitted: 409,
    booking_issuing: 409,
    booking_not_payable: 409,
    cancel_too_late: 409,
    invalid_offer: 400,
    invalid_plate: 400,
    lot_refused: 409,
    lot_unreachable: 503,
    no_bookable_spaces: 409,
    not_found: 404,
    offer_closed: 409,
    park_unknown: 404,
    plate_already_booked: 409,
    sold_out: 409,
  },
  coupons: {
    car_required: 400,
    coupon_at_lot: 409,
    coupon_busy: 409,
    coupon_disabled: 409,
    coupon_expired: 409,
    coupon_in_flight: 409,
    coupon_other_park: 409,
    coupon_unknown: 404,
    coupon_used: 409,
    coupon_used_up: 409,
    forbidden_role: 403,
    invalid_amount: 400,
    invalid_end: 400,
    invalid_max_uses: 400,
    not_found: 404,
    park_unknown: 404,
    plate_mismatch: 409,
    request_id_reused: 409,
    stay_ended: 409,
    stay_unknown: 404,
  },
  history: {
    not_found: 404,
  },
  identity: {
    invalid_plate: 400,
    not_found: 404,
    not_offered: 404,
    plate_limit: 409,
    unauthenticated: 401,
    validation_failed: 400,
  },
  invoicing: {
    already_invoiced: 409,
    invoice_refused: 422,
    invoice_unavailable: 422,
    not_cancellable: 409,
    not_found: 404,
    not_issued: 409,
    not_paid: 409,
    nothing_left: 409,
    provider_unavailable: 503,
    refund_pending: 409,
    title_invalid: 400,
    title_page_required: 400,
    title_page_unavailable: 422,
    title_required: 400,
    validation_failed: 400,
  },
  lists: {
    bad_csv: 400,
    confirmation_expired: 409,
    confirmation_invalid: 409,
    invalid_entry: 400,
    invalid_plates: 400,
    list_full: 409,
    lot_refused: 409,
    lot_unreachable: 503,
    not_found: 404,
    nothing_to_send: 400,
    park_unknown: 404,
  },
  lot: {
    bad_image: 400,
    image_too_large: 400,
    lot_refused: 409,
    lot_slow: 504,
    lot_unreachable: 503,
  },
  messages: {
    not_found: 404,
    unknown_template: 400,
  },
  operators: {
    account_disabled: 403,
    confirmation_expired: 410,
    confirmation_unknown: 404,
    confirmation_used: 409,
    forbidden_park: 403,
    forbidden_role: 403,
    invalid_credentials: 401,
    invalid_park_number: 400,
    invalid_url: 400,
    invalid_username: 400,
    lane_unknown: 404,
    login_locked: 429,
    lot_bad_answer: 502,
    lot_refused: 502,
    lot_unreachable: 504,
    not_found: 404,
    not_offered: 503,
    own_account: 409,
    park_exists: 409,
    park_unknown: 404,
    parks_required: 400,
    plate_too_short: 400,
    poster_font_missing: 503,
    stay_unknown: 404,
    unauthenticated: 401,
    username_taken: 409,
    validation_failed: 400,
    weak_password: 400,
  },
  orders: {
    not_found: 404,
    order_not_payable: 409,
    park_unknown: 404,
    provider_mismatch: 409,
    provider_refused: 502,
    provider_unavailable: 503,
    provider_unreachable: 503,
    quote_expired: 409,
    quote_taken: 409,
    stay_unknown: 404,
  },
  parking: {
    car_not_here: 404,
    confirm_locked: 429,
    link_expired: 410,
    not_confirmed: 409,
    not_found: 404,
    park_unknown: 404,
    plate_invalid: 400,
    validation_failed: 400,
  },
  passes: {
    duration_not_offered: 409,
    invalid_pass_offer: 400,
    invalid_plate: 400,
    no_pass_offer: 409,
    not_found: 404,
    order_not_payable: 409,
    park_unknown: 404,
    pass_extending: 409,
    passes_sold_out: 409,
    plate_not_on_whitelist: 409,
    plate_not_proved: 403,
  },
  reconciliation: {
    invalid_date: 400,
    invalid_range: 400,
    park_unknown: 404,
  },
};

/** The HTTP status an expected failure is answered with (500 for a code no table knows: our bug). */
export function statusOf(e: AppError): number {
  if (e instanceof HttpError) return e.status;
  const table = (ERROR_STATUS as Readonly<Record<string, Readonly<Record<string, number>> | undefined>>)[e.module];
  return table?.[e.code] ?? 500;
}

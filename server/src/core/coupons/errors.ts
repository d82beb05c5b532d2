import { AppError } from '../errors';

/** Every code the coupons module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type CouponErrorCode =
  | 'car_required'
  | 'coupon_at_lot'
  | 'coupon_busy'
  | 'coupon_disabled'
  | 'coupon_expired'
  | 'coupon_in_flight'
  | 'coupon_other_park'
  | 'coupon_unknown'
  | 'coupon_used'
  | 'coupon_used_up'
  | 'forbidden_role'
  | 'invalid_amount'
  | 'invalid_end'
  | 'invalid_max_uses'
  | 'not_found'
  | 'park_unknown'
  | 'plate_mismatch'
  | 'request_id_reused'
  | 'stay_ended'
  | 'stay_unknown';

export class CouponError extends AppError<CouponErrorCode> {
  readonly module = 'coupons';
}

/**
 * Fixed coupon codes scanned at the booth (4.24 scene 2: the scanned code is not a payment code but a
 * coupon code of ours → answer `discountContent`). Implemented by CouponService (core/coupons/service.ts);
 * the face-to-face service asks it before treating a code as a payment code.
 */
export interface FixedCoupon {
  couponCode: string;
  /** 'hours' → coupon_mode_id 0, position = minutes; 'money' → coupon_mode_id 1, position = fen. */
  mode: 'hours' | 'money';
  /** Minutes for 'hours', fen for 'money'. */
  amount: number;
  /** Valid until. */
  end: Date;
  /** Our coupon id ("1" when there is none). */
  id: string;
}

export interface FixedCouponCodes {
  /**
   * Use the fixed code `code` for this stay: the coupon when the code is one of ours, valid and not used up
   * for this park (idempotent per parkNumber + code + orderId: a retry gets the same coupon); undefined when
   * the code is no coupon code of ours (it does not have our form `PPQ` + 10 characters: a payment code).
   * A code of ours that gives nothing throws an AppError whose code says why — answer it as 4.24's
   * `fail` errorCode: coupon_unknown, coupon_other_park, coupon_disabled, coupon_expired, coupon_used_up,
   * stay_unknown (empty orderId). Implemented by CouponService (core/coupons/service.ts).
   */
  redeem(o: { parkNumber: string; code: string; orderId: string; plate: string }): Promise<FixedCoupon | undefined>;
}

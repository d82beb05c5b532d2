/** Every id kind keeps its format: prefix, China-time stamp, length and alphabet (the providers' limits rest on them). */
import { BASE32, chinaStamp, randomChars, randomHex, timedNo } from '../../../server/src/core/ids';
import { newOrderNo } from '../../../server/src/core/orders/orders';
import { newAgreementId, newSignNo } from '../../../server/src/core/agreements/service';
import { newPaymentNo } from '../../../server/src/core/lanepay/face-to-face';
import { newLaneQrOrderNo } from '../../../server/src/core/lanepay/lane-qr';
import { newDeductionNo } from '../../../server/src/core/lanepay/lane-deductions';
import { newCouponCode } from '../../../server/src/core/coupons/service';
import { newBookingNo } from '../../../server/src/core/bookings/service';
import { newInvoiceId } from '../../../server/src/core/invoicing/service';
import { newDriverId } from '../../../server/src/core/identity/tokens';

// 16:59:58 UTC on 2026-11-28 is 00:59:58 on the 29th in China: the stamp takes China's day.
const LATE = Date.UTC(2026, 10, 28, 16, 59, 58);
const B32 = '[0-9ABCDEFGHJKMNPQRSTVWXYZ]';

describe('ids', () => {
  test('the stamp is China time yyMMddHHmmss', () => {
    expect(chinaStamp(LATE)).toBe('261129005958');
    expect(chinaStamp(new Date(LATE))).toBe('261129005958');
  });

  test('random parts draw from their alphabet with the asked length', () => {
    expect(BASE32).toHaveLength(32);
    expect(randomChars(40)).toMatch(new RegExp(`^${B32}{40}$`));
    expect(randomChars(12, 'AB')).toMatch(/^[AB]{12}$/);
    expect(randomHex(5)).toMatch(/^[0-9a-f]{10}$/);
    expect(timedNo('XY', LATE, 3)).toMatch(new RegExp(`^XY261129005958${B32}{3}$`));
  });

  test.each([
    ['order', () => newOrderNo(LATE), `^PP261129005958${B32}{8}$`, 22],
    ['agreement sign', () => newSignNo(LATE), `^PPA261129005958${B32}{8}$`, 23],
    ['face-to-face payment', () => newPaymentNo(LATE), `^FP261129005958${B32}{8}$`, 22],
    ['lane QR order', () => newLaneQrOrderNo(LATE), `^PQ261129005958${B32}{8}$`, 22],
    ['deduction', () => newDeductionNo(LATE), `^PW261129005958${B32}{8}$`, 22],
    ['booking', () => newBookingNo(LATE), `^BK261129005958${B32}{6}$`, 20],
    ['coupon', () => newCouponCode(LATE), '^PPC261129005958[0-9ABCDEFGHJKLMNPQRSTUVWXYZ]{6}$', 21],
    ['invoice', () => newInvoiceId(new Date(LATE)), `^IV261129${B32}{8}$`, 16],
    ['agreement', () => newAgreementId(), `^agr_${B32}{16}$`, 20],
    ['driver', () => newDriverId(), '^drv_[0-9a-f]{20}$', 24],
  ])('%s id', (_kind, make, pattern, length) => {
    const a = make();
    expect(a).toMatch(new RegExp(pattern));
    expect(a).toHaveLength(length);
    expect(make()).not.toBe(a);
  });
});

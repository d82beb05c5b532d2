/** Reading Bluecard's outTradeNo (parkNumber_channelId_orderId_HHmmss) for the fallback sendPayRes. */
import { parseOutTradeNo, settlementTimeOf } from '../../../../server/src/core/lanepay/lane-qr-trade';

describe('parseOutTradeNo', () => {
  it('takes the fields from the right, whatever the park number holds', () => {
    expect(parseOutTradeNo('p_demo_001_2_1017_101500', 'p_demo_001')).toEqual({ channelId: '2', orderId: '1017', hhmmss: '101500' });
    expect(parseOutTradeNo('p180329111018_2_12121_122120', 'p180329111018')).toEqual({ channelId: '2', orderId: '12121', hhmmss: '122120' });
    // The 4.4 example names another park than its request: still read from the right.
    expect(parseOutTradeNo('1_0_212_165002', 'p190225')).toEqual({ channelId: '0', orderId: '212', hhmmss: '165002' });
  });
  it('anything else is not an outTradeNo it can read', () => {
    expect(parseOutTradeNo('158646484', 'p1')).toBeUndefined();
    expect(parseOutTradeNo('p1_2_3_256000', 'p1')).toBeUndefined(); // 25:60:00
    expect(parseOutTradeNo('p1_2__101500', 'p1')).toBeUndefined();
  });
});

describe('settlementTimeOf', () => {
  const at = (s: string) => Date.parse(`${s}+08:00`);
  it("today's date in China time, or yesterday's when the time of day is still ahead", () => {
    expect(settlementTimeOf('101500', at('2026-11-28T10:15:03'))).toBe('2026-11-28 10:15:00');
    expect(settlementTimeOf('235958', at('2026-11-29T00:00:04'))).toBe('2026-11-28 23:59:58');
    // Two minutes ahead is clock skew, not yesterday.
    expect(settlementTimeOf('101700', at('2026-11-28T10:15:00'))).toBe('2026-11-28 10:17:00');
  });
});

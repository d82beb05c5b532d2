import { render, screen } from '@testing-library/react';
import { FeeView, type FeeParts } from '../../../miniapp/src/components/FeeView';

const fee: FeeParts = {
  plate: '京A12345',
  inTime: '2026-11-28 09:05:33',
  stopMinutes: 135,
  chargeFen: 600,
  paidFen: 200,
  discountFen: 100,
  payFen: 300,
  paidFreeMinutes: 15,
};
const row = (label: string) => screen.getByText(label).parentElement!.textContent;

describe('<FeeView>', () => {
  it('shows every part: entry time, duration, total, paid, discounts, to pay', () => {
    render(<FeeView fee={fee} />);
    expect(row('车牌')).toContain('京A12345');
    expect(row('入场时间')).toContain('2026-11-28 09:05');
    expect(row('入场时间')).not.toContain(':33');
    expect(row('停车时长')).toContain('2小时15分钟');
    expect(row('停车费')).toContain('¥6.00');
    // Paid is money in, not a deduction: no minus sign (it read "已付 -¥2.00").
    expect(row('已付')).toContain('¥2.00');
    expect(row('已付')).not.toContain('-');
    expect(row('优惠')).toContain('-¥1.00');
    expect(row('待补缴')).toContain('¥3.00');
    expect(screen.queryByText('无需缴费，请直接驶出')).toBeNull();
  });

  it('leaves out paid and discount rows when they are zero', () => {
    render(<FeeView fee={{ ...fee, paidFen: 0, discountFen: 0, payFen: 600 }} />);
    expect(screen.queryByText('已付')).toBeNull();
    expect(screen.queryByText('优惠')).toBeNull();
    expect(row('待支付')).toContain('¥6.00');
  });

  it('nothing to pay: drive out', () => {
    render(<FeeView fee={{ ...fee, stopMinutes: 8, chargeFen: 0, paidFen: 0, discountFen: 0, payFen: 0 }} />);
    expect(row('待支付')).toContain('¥0.00');
    expect(row('停车时长')).toContain('8分钟');
    expect(screen.getByText('无需缴费，请直接驶出')).toBeTruthy();
    expect(screen.queryByText(/分钟内离场/)).toBeNull();
  });

  it('already paid in full: drive out within the free minutes', () => {
    render(<FeeView fee={{ ...fee, paidFen: 600, discountFen: 0, payFen: 0 }} />);
    expect(screen.getByText('无需缴费，请直接驶出')).toBeTruthy();
    expect(screen.getByText('已缴费的车辆请在缴费后 15 分钟内离场')).toBeTruthy();
  });
});

describe('<FeeView> after paying', () => {
  it('an overstay says what was paid, when, until when leaving was free, and what the extra time costs (超时补缴)', () => {
    // Paid ¥4 at 10:02 (China time), free exit until 10:17; now ¥6 for the whole stay, ¥2 more.
    render(
      <FeeView
        fee={{ ...fee, chargeFen: 600, paidFen: 400, discountFen: 0, payFen: 200, lastPayment: { fen: 400, paidAt: '2026-11-28T02:02:00.000Z', leaveBy: '2026-11-28T02:17:00.000Z' } }}
      />,
    );
    expect(row('已付')).toContain('¥4.00（10:02 缴费）');
    expect(row('待补缴')).toContain('¥2.00');
    expect(screen.queryByText('待支付')).toBeNull();
    expect(screen.getByText('超时补缴 ¥2.00')).toBeTruthy();
    expect(screen.getByText(/已于 10:02 缴费 ¥4.00，缴费后的免费离场时间到 10:17 截止.*需补缴 ¥2.00/)).toBeTruthy();
  });

  it('paid elsewhere (the booth): still explained, without a time', () => {
    render(<FeeView fee={{ ...fee, chargeFen: 600, paidFen: 400, discountFen: 0, payFen: 200, lastPayment: null }} />);
    expect(screen.getByText(/已缴过 ¥4.00，但缴费后的免费离场时间已过/)).toBeTruthy();
  });

  it('once this payment went through, nothing is "to pay" any more', () => {
    render(<FeeView fee={{ ...fee, paidFen: 0, discountFen: 0, payFen: 600 }} paid />);
    expect(screen.queryByText('待支付')).toBeNull();
    expect(row('本次已付')).toContain('¥6.00');
    expect(screen.queryByText(/缴费后 15 分钟内免费离场/)).toBeNull();
  });

  it('before paying, says how long leaving stays free after paying', () => {
    render(<FeeView fee={{ ...fee, paidFen: 0, discountFen: 0, payFen: 600 }} />);
    expect(screen.getByText('缴费后 15 分钟内免费离场，出口道闸自动抬起')).toBeTruthy();
  });
});

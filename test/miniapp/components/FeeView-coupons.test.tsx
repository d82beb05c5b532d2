import { render, screen } from '@testing-library/react';
import { FeeView, type FeeParts } from '../../../miniapp/src/components/FeeView';

const fee: FeeParts = { plate: '京A12345', inTime: '2026-11-28 09:05:33', stopMinutes: 135, chargeFen: 600, paidFen: 0, discountFen: 300, payFen: 300, paidFreeMinutes: 15 };

describe('<FeeView> with ParkPay coupons', () => {
  it('names each coupon of the stay, who gave it, and whether it is already taken off', () => {
    render(
      <FeeView
        fee={{
          ...fee,
          coupons: [
            { kind: 'hours', amount: 60, state: 'applied', from: '一楼咖啡' },
            { kind: 'money', amount: 150, state: 'pending', from: null },
          ],
        }}
      />,
    );
    const rows = screen.getAllByText('优惠券').map((label) => label.parentElement!.textContent);
    expect(rows).toEqual(['优惠券一楼咖啡 1小时停车券（已抵扣）', '优惠券¥1.50 停车券（出场时抵扣）']);
    expect(screen.getByText('优惠').parentElement!.textContent).toContain('-¥3.00');
  });

  it('no coupons: no coupon rows', () => {
    render(<FeeView fee={{ ...fee, coupons: [] }} />);
    expect(screen.queryByText('优惠券')).toBeNull();
  });
});

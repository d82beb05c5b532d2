import { render, screen } from '@testing-library/react';
import Index from '../../../miniapp/src/pages/index/index';

describe('landing page', () => {
  it('renders with an amount formatted by the shared money helper', () => {
    render(<Index />);
    expect(screen.getByText('ParkPay')).toBeTruthy();
    expect(screen.getByText(/¥12\.50/)).toBeTruthy();
  });
});

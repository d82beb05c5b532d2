import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import ParkingPage from '../../../miniapp/src/packages/me/parking/index';
import { fakeApi, loggedIn } from '../support/http';
import { resetTaroMock } from '../support/taro-mock';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  loggedIn();
});

const P = 'p_demo_001';
const stay = (o: Record<string, unknown>) => ({ parkNumber: P, parkName: '示例停车场', plate: '苏F77001', source: 'plate', inTime: '', inAt: null, inImageUrl: null, leaveBy: null, proved: false, ...o });
const park = {
  parkNumber: P,
  name: '示例停车场',
  service: { tariffText: null, freeMinutes: null, paidFreeMinutes: null, phone: null, address: null },
  spaces: null,
  areas: [],
  lanes: [
    { passagewayId: '1', name: '东门入口', direction: 'in' },
    { passagewayId: '2', name: '东门出口', direction: 'out' },
    { passagewayId: '3', name: '西门入口', direction: 'in' },
  ],
};
const fee = { data: { parkNumber: P, plate: '苏F77001', inTime: '2026-11-28 09:30:00', stopMinutes: 100, chargeFen: 400, paidFen: 0, discountFen: 0, payFen: 400, paidFreeMinutes: 15, coupons: [], order: null } };
const see = (t: string | RegExp) => screen.findByText(t);
// Taro's Input is a web component whose inner <input> appears once it has hydrated.
const input = () =>
  waitFor(() => {
    const el = document.querySelector('.confirm-plate input');
    if (!el) throw new Error('no input in .confirm-plate yet');
    return el;
  });

describe('my parking', () => {
  it('a car not proved: only that it is here; the driver confirms its entry lane and time, then sees it', async () => {
    const api = fakeApi({
      'GET /api/me/stays': [{ data: { stays: [stay({})] } }, { data: { stays: [stay({ proved: true, inTime: '2026-11-28 09:30:00' })] } }],
      'GET /api/parks/p_demo_001': { data: park },
      'POST /api/fees/prepay': fee,
      'POST /api/parks/p_demo_001/plate-proofs': [
        { status: 409, data: { error: { code: 'not_confirmed', message: 'no', details: { attemptsLeft: 2 } } } },
        { data: { proved: true } },
      ],
    });
    render(<ParkingPage />);
    await see(/这辆车在场内/);
    expect(screen.queryByText('入场时间')).toBeNull();
    await act(async () => fireEvent.click(screen.getByText('确认是我的车')));
    await see('西门入口');
    expect(screen.queryByText('东门出口')).toBeNull(); // exits are not entries
    await act(async () => fireEvent.click(screen.getByText('西门入口')));
    const timeInput = await input();
    await act(async () => fireEvent.input(timeInput, { target: { value: '09:30' }, detail: { value: '09:30' } }));
    await act(async () => fireEvent.click(within(document.querySelector('.confirm-plate') as HTMLElement).getByText('确认')));
    await see('与车场的入场记录不符，还可尝试 2 次');
    await act(async () => fireEvent.click(within(document.querySelector('.confirm-plate') as HTMLElement).getByText('确认')));
    await see('2026-11-28 09:30');
    const sent = api.calls('POST /api/parks/p_demo_001/plate-proofs')[0]!.body as { plate: string; enteredAt: string; passagewayId: string };
    expect(sent).toMatchObject({ plate: '苏F77001', passagewayId: '3', enteredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2} 09:30$/) });
  });
});

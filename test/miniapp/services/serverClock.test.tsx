/**
 * The server's now from the app API's `x-server-time`: the leave-by countdown runs on the server's clock
 * (a phone's clock may be off; demo mode's lot clock runs ahead of real time).
 */
import { render, screen, waitFor } from '@testing-library/react';
import { meEndpoints } from '../../../shared/api/me';
import { LeaveCountdown } from '../../../miniapp/src/components/LeaveCountdown';
import OpReconcilePage from '../../../miniapp/src/packages/op/reconcile/index';
import { call } from '../../../miniapp/src/services/api';
import { noteServerTime, serverNow } from '../../../miniapp/src/services/serverClock';
import { loggedIn, session } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { opLoggedIn } from '../op/support';

const PHONE_NOW = Date.UTC(2026, 0, 15, 2, 0, 0);
const HOUR = 3_600_000;

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  jest.spyOn(Date, 'now').mockReturnValue(PHONE_NOW);
});
afterEach(() => {
  jest.restoreAllMocks();
  noteServerTime({ 'x-server-time': String(PHONE_NOW) }, PHONE_NOW, PHONE_NOW);
});

it('takes the server time from an answer, halfway between sending and receiving', () => {
  noteServerTime({ 'x-server-time': String(PHONE_NOW + 2 * HOUR + 100) }, PHONE_NOW - 100, PHONE_NOW + 300);
  expect(serverNow()).toBe(PHONE_NOW + 2 * HOUR);
  // Header names as a platform spells them; nonsense is ignored.
  noteServerTime({ 'X-Server-Time': String(PHONE_NOW + HOUR) }, PHONE_NOW, PHONE_NOW);
  expect(serverNow()).toBe(PHONE_NOW + HOUR);
  noteServerTime({ 'x-server-time': 'soon' }, PHONE_NOW, PHONE_NOW);
  noteServerTime(undefined, PHONE_NOW, PHONE_NOW);
  expect(serverNow()).toBe(PHONE_NOW + HOUR);
});

it('every app API answer through the wrapper tells it', async () => {
  loggedIn();
  Taro.request.mockResolvedValue({ statusCode: 200, data: session().driver, header: { 'x-server-time': String(PHONE_NOW + 75 * 60_000) } });
  await call(meEndpoints.me, {});
  expect(serverNow()).toBe(PHONE_NOW + 75 * 60_000);
});

it("the leave-by countdown counts from the server's now, not the phone's", () => {
  noteServerTime({ 'x-server-time': String(PHONE_NOW + 2 * HOUR) }, PHONE_NOW, PHONE_NOW);
  render(<LeaveCountdown leaveBy={new Date(PHONE_NOW + 2 * HOUR + 15 * 60_000).toISOString()} />);
  expect(screen.getByText('剩余离场时间 15:00')).toBeTruthy();
});

describe("the operator's reconciliation page without a date: the server's today", () => {
  const zero = { wechat: 0, alipay: 0, cash: 0, unionpay: 0, transit_card: 0, other: 0 };
  const counts = { matched: 0, amount_differs: 0, missing_at_lot: 0, awaiting_lot: 0, missing_ours: 0, lot_only: 0, refunded: 0, refunded_but_at_lot: 0, not_for_lot: 0 };
  const totals = { totalFen: 0, byChannel: zero };
  const dayOf = (date: string) => ({
    parkNumber: 'p_demo_001',
    date,
    from: '2026-01-14T16:00:00.000Z',
    to: '2026-01-15T16:00:00.000Z',
    generatedAt: '2026-01-15T08:00:00.000Z',
    summary: { counts, differences: 0, ours: { ...totals, refundedFen: 0 }, lot: totals, takings: totals, passes: { online: { count: 0, fen: 0, refundedFen: 0 }, booth: { count: 0, fen: 0 } } },
    rows: [],
  });

  it('follows the server to its day once its first answer told its clock (the phone is still on the day before)', async () => {
    const phoneNow = Date.UTC(2026, 0, 15, 15, 30, 0); // 23:30 China time on the 15th
    jest.spyOn(Date, 'now').mockReturnValue(phoneNow);
    noteServerTime({ 'x-server-time': String(phoneNow) }, phoneNow, phoneNow);
    opLoggedIn('operator');
    Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
    const asked: string[] = [];
    Taro.request.mockImplementation(async (o: { url: string }) => {
      const date = /date=([\d-]+)/.exec(o.url)?.[1] ?? '';
      if (o.url.includes('/takings')) return { statusCode: 200, data: { channels: ['wechat'], days: [] }, header: {} };
      asked.push(date);
      // The server's clock runs 75 minutes ahead: the 16th already.
      return { statusCode: 200, data: dayOf(date), header: { 'x-server-time': String(phoneNow + 75 * 60_000) } };
    });
    render(<OpReconcilePage />);
    await waitFor(() => expect(asked).toEqual(['2026-01-15', '2026-01-16']));
  });
});

/**
 * The server's now from the app API's `x-server-time`: the leave-by countdown runs on the server's clock
 * (a phone's clock may be off; demo mode's lot clock runs ahead of real time).
 */
import { render, screen } from '@testing-library/react';
import { meEndpoints } from '../../../shared/api/me';
import { LeaveCountdown } from '../../../miniapp/src/components/LeaveCountdown';
import { call } from '../../../miniapp/src/services/api';
import { noteServerTime, serverNow } from '../../../miniapp/src/services/serverClock';
import { loggedIn, session } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';

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

/**
 * The sandbox lot's own booking capacity (4.1 bookSpaceCount) and its booking controls: refusing the next
 * bookings, losing one (for reconciliation tests).
 */
import type { BluecardSandbox } from '../../../../server/sandbox/bluecard';
import { type DownAnswer, PN, Receiver, control, down, startTestSandbox } from './support';

let receiver: Receiver;
let sb: BluecardSandbox;
let errors: unknown[];

beforeEach(async () => {
  receiver = await new Receiver().start();
  ({ sb, errors } = await startTestSandbox(receiver));
});

afterEach(async () => {
  await sb.stop();
  await receiver.stop();
  expect(errors).toEqual([]);
});

const booking = (plate: string, bookOrderId: string, extra: Record<string, unknown> = {}) => ({
  plate,
  start: '2026-01-15 12:00:00',
  end: '2026-01-15 18:00:00',
  areaId: '0',
  flag: '1',
  charge: '5.00',
  bookOrderId,
  bookOrderTime: '2026-01-15 09:00:00',
  letInStartTime: '2026-01-15 12:00:00',
  letInEndTime: '2026-01-15 13:00:00',
  memo: '',
  ...extra,
});
const syn = (...datas: object[]) => down(sb, 'synBookingCar', { parkNumber: PN, datas });
const ids = (a: DownAnswer) => (a.datas.bookList as { bookOrderId: string }[]).map((b) => b.bookOrderId).sort();
const openIds = async () => ids(await down(sb, 'queryBookingCar', { parkNumber: PN, datas: { plateList: [], start: '', end: '' } }));

describe('the lot’s booking capacity', () => {
  it('an area takes as many bookings as it has bookable spaces; any-area bookings take from the whole lot', async () => {
    // Test park: area 1 has 5 bookable spaces, area 2 has 1: 6 in all.
    expect((await syn(booking('京B00001', 'B1', { areaId: '2' }))).status).toBe('success');
    const full = await syn(booking('京B00002', 'B2', { areaId: '2' }));
    expect(full).toMatchObject({ status: 'fail' });
    expect(full.errorCode).toMatch(/可预约车位不足: 区域 2/);
    // Sending the same booking again is not a new one: still accepted.
    expect((await syn(booking('京B00001', 'B1', { areaId: '2' }))).status).toBe('success');

    for (let i = 0; i < 5; i++) expect((await syn(booking(`京A0000${i}`, `A${i}`))).status).toBe('success');
    expect(sb.park(PN).state.counts()).toMatchObject({ bookSpaceCount: 0 });
    expect((await syn(booking('京A00009', 'A9'))).errorCode).toMatch(/可预约车位不足: 全场/);
    // An area booking needs room in the lot as a whole too.
    expect((await syn(booking('京A00010', 'A10', { areaId: '1' }))).errorCode).toMatch(/可预约车位不足: 全场/);
    // One call cannot take more than is left either.
    await syn({ ...booking('京A00000', 'A0'), flag: '0' });
    expect((await syn(booking('京C00001', 'C1'), booking('京C00002', 'C2'))).errorCode).toMatch(/可预约车位不足/);
    expect(await openIds()).toEqual(['A1', 'A2', 'A3', 'A4', 'B1']);
  });
});

describe('booking controls', () => {
  it('refuses the next booking of a plate (or any) with the errorCode given, then accepts again', async () => {
    const r = await control(sb, 'POST', `/parks/${PN}/bookings/refuse`, { plate: '京A 12345', errorCode: '黑名单车辆不可预约' });
    expect(r.status).toBe(201);
    expect((await syn(booking('京B00001', 'B1'))).status).toBe('success'); // another plate
    expect(await syn(booking('京A12345', 'X1'))).toMatchObject({ status: 'fail', errorCode: '黑名单车辆不可预约' });
    expect((await syn(booking('京A12345', 'X1'))).status).toBe('success');

    await control(sb, 'POST', `/parks/${PN}/bookings/refuse`, { count: 2 });
    expect((await syn(booking('京C00001', 'C1'))).status).toBe('fail');
    expect((await syn(booking('京C00002', 'C2'))).status).toBe('fail');
    expect((await syn(booking('京C00003', 'C3'))).status).toBe('success');
    expect((await control(sb, 'POST', `/parks/${PN}/bookings/refuse`, { count: 0 })).status).toBe(400);
  });

  it('loses a booking on request (what reconciliation must notice); lists bookings', async () => {
    await syn(booking('京B00001', 'B1'), booking('京B00002', 'B2'));
    const listed = await control(sb, 'GET', `/parks/${PN}/bookings`);
    expect((listed.body as { bookings: { bookOrderId: string }[] }).bookings.map((b) => b.bookOrderId).sort()).toEqual(['B1', 'B2']);
    expect((await control(sb, 'DELETE', `/parks/${PN}/bookings/B1`)).status).toBe(200);
    expect(await openIds()).toEqual(['B2']);
    expect((await control(sb, 'DELETE', `/parks/${PN}/bookings/B1`)).status).toBe(404);
  });
});

/**
 * The sandbox's down interfaces over real HTTP: Bluecard's checks (sign per park, exact bodies), pricing
 * per tariff, payments (idempotent on transactionID), unlicensed cars, coupons, lists, bookings, spaces,
 * pictures, barrier lifts, injected faults.
 */
import { bluecardInterfaces } from '../../../../shared/bluecard';
import type { BluecardSandbox } from '../../../../server/sandbox/bluecard';
import type { ManualClock } from '../../../../server/src/core/clock';
import { formatChinaTime } from '../../../../shared/time';
import { type DownAnswer, HOUR, KEY, KEY2, MIN, PN, PN2, Receiver, T0, control, down, signOf, startTestSandbox, validBodies } from './support';

let receiver: Receiver;
let sb: BluecardSandbox;
let clock: ManualClock;
let errors: unknown[];

beforeEach(async () => {
  receiver = await new Receiver().start();
  ({ sb, clock, errors } = await startTestSandbox(receiver));
});

afterEach(async () => {
  await sb.stop();
  await receiver.stop();
  expect(errors).toEqual([]);
});

const charge = (orderId: string, extra: Record<string, unknown> = {}) =>
  down(sb, 'getChargebf', { parkNumber: PN, orderId, plate: '', wxOpenId: '', ticketCode: '', couponTime: '0', ...extra });

function payFor(quote: { orderId: string; plate: string; payCharge: string; getTime: string; outTradeNo: string }, transactionID: string, extra: Record<string, unknown> = {}) {
  return down(sb, 'sendPayRes', {
    parkNumber: PN,
    orderId: quote.orderId,
    plate: quote.plate,
    payCharge: quote.payCharge,
    realCharge: quote.payCharge,
    payTime: formatChinaTime(clock.now()),
    payType: '微信',
    payChannel: '提前付',
    getTime: quote.getTime,
    getTimes: quote.getTime, // 4.5 is sent with both spellings
    transactionID,
    outTradeNo: quote.outTradeNo,
    ...extra,
  });
}

describe('Bluecard checks on every down interface', () => {
  const names = Object.keys(validBodies(PN));

  it('has a valid exact body for each of the 17 down interfaces (so a failure below is the sign)', () => {
    expect(names).toHaveLength(17);
    for (const [name, body] of Object.entries(validBodies(PN))) {
      const iface = Object.values(bluecardInterfaces).find((i) => i.path === name)!;
      expect({ name, ok: iface.request.safeParse(body).success }).toEqual({ name, ok: true });
    }
  });

  it.each(names)('%s: a forged, missing, upper-case or other-park sign is refused', async (name) => {
    const body = validBodies(PN)[name];
    for (const sign of ['0123456789abcdef0123456789abcdef', null, signOf(KEY, PN).toUpperCase(), signOf(KEY2, PN), signOf(KEY, PN2)]) {
      const a = await down(sb, name, body, { sign });
      expect({ sign, httpStatus: a.httpStatus, status: a.status, errorCode: a.errorCode }).toEqual({
        sign,
        httpStatus: 200,
        status: 'fail',
        errorCode: '签名错误',
      });
    }
    const right = await down(sb, name, body);
    expect(right.errorCode).not.toBe('签名错误');
  });

  it('refuses an unknown park, a non-JSON body and a wrong content type', async () => {
    expect((await down(sb, 'getChargebf', { ...validBodies('p_nope').getChargebf }, { key: 'x' })).errorCode).toBe('场库不存在');
    const res = await fetch(`${sb.url}/bcopenapi/out/getChargebf`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', sign: signOf(KEY, PN) },
      body: '{"parkNumber": "p_test_001",',
    });
    expect(await res.json()).toEqual({ status: 'fail', errorCode: '参数错误: 请求体不是合法的 JSON' });
    const form = await down(sb, 'getChargebf', validBodies(PN).getChargebf, { contentType: 'application/x-www-form-urlencoded' });
    expect(form.errorCode).toMatch(/Content-Type/);
    expect((await down(sb, 'alterCarType', { parkNumber: PN })).errorCode).toBe('接口已废弃');
    expect((await down(sb, 'nope', { parkNumber: PN })).httpStatus).toBe(404);
  });

  it('rejects sloppy requests: numbers for strings, unknown keys, getTimes for getTime, missing fields', async () => {
    const b = validBodies(PN);
    const sloppy: [string, Record<string, unknown>][] = [
      ['getChargebf', { ...b.getChargebf, couponTime: 0 }],
      ['getChargebf', { ...b.getChargebf, extra: '' }],
      ['getChargebf', { parkNumber: PN, orderId: '1001' }],
      ['sendPayRes', { ...(({ getTime, ...rest }) => ({ ...rest, getTimes: getTime }))(b.sendPayRes) }],
      ['sendPayRes', { ...b.sendPayRes, payCharge: 4 }],
      ['sendPayRes', { ...b.sendPayRes, payCharge: '4.001' }],
      ['sendPayRes', { ...b.sendPayRes, payTime: '2026-01-15T11:00:00' }],
      ['synWhite', { ...b.synWhite, size: 2 }],
      ['synWhite', { ...b.synWhite, datas: [{ ...(b.synWhite.datas as object[])[0], areasAndValidity: [{ areaId: '1', start: '2026-01-01', end: '2026-02-01' }] }] }],
      ['unlicensedCarIn', { ...b.unlicensedCarIn, method: 'unlicensedcarin' }],
      ['getSpaceStatusByPlate', { ...b.getSpaceStatusByPlate, plate: '京A1' }],
      ['queryBookingCar', { parkNumber: PN, datas: { plateList: [], start: '2026-01-15 10:00:00', end: '' } }],
    ];
    for (const [name, body] of sloppy) {
      const a = await down(sb, name, body);
      expect({ name, status: a.status, error: a.errorCode?.startsWith('参数错误') }).toEqual({ name, status: 'fail', error: true });
    }
  });
});

describe('a whole stay priced, paid and left', () => {
  it('prices per tariff, takes the payment once, starts the paid free time, and lets the car out', async () => {
    const arrived = await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京A12345' });
    expect(arrived.status).toBe(201);
    const orderId: string = arrived.body.orderId;
    expect(receiver.on('/bluecard/v2/in-records')).toHaveLength(1);

    await sb.advanceClock(10 * MIN);
    let q = await charge(orderId, { plate: '京A12345' });
    expect(q.datas).toMatchObject({ orderId, plate: '京A12345', charge: '0.00', payCharge: '0.00', stopTimeTotal: '10', paidfreeTime: '15' });

    await sb.advanceClock(51 * MIN);
    q = await charge(orderId, { plate: '京A12345' });
    expect(q.status).toBe('success');
    expect(q.datas).toMatchObject({
      charge: '4.00',
      payCharge: '4.00',
      paidTotal: '0.00',
      profitChargeTotal: '0.00',
      profitTimeTotal: '0',
      stopTimeTotal: '61',
      inTime: '2026-01-15 10:00:00',
      getTime: '2026-01-15 11:01:00',
      outTradeNo: `${PN}_0_${orderId}_110100`,
    });
    expect(bluecardInterfaces['4.4'].mirror.answer.safeParse({ status: q.status, datas: q.datas }).success).toBe(true);
    // Not paid: the barrier stays down.
    const refused = await control(sb, 'POST', `/parks/${PN}/departures`, { lane: '2', orderId });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'unpaid', payCharge: '4.00' });

    await sb.advanceClock(2 * MIN);
    const paid = await payFor(q.datas, 'TX-1');
    expect(paid).toMatchObject({ status: 'success', datas: { transactionID: 'TX-1', orderId } });
    // The car was waiting at the exit lane: the barrier opened on 4.5.
    expect(sb.park(PN).state.cars.get(orderId)!.outTime).toBeDefined();
  });

  it('during the paid free time nothing is owed; a resend changes nothing; afterwards the extra time is charged', async () => {
    const { orderId } = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(61 * MIN);
    const q = await charge(orderId, { plate: '京A12345' });
    expect((await payFor(q.datas, 'TX-1')).status).toBe('success');

    let after = await charge(orderId, { plate: '京A12345' });
    expect(after.datas).toMatchObject({ charge: '4.00', payCharge: '0.00', paidTotal: '4.00', paidfreeTime: '15' });

    // The same transactionID again (our answer was lost): success, nothing changes.
    const again = await payFor(q.datas, 'TX-1');
    expect(again).toMatchObject({ status: 'success', datas: { transactionID: 'TX-1', orderId } });
    expect(sb.park(PN).state.cars.get(orderId)!.payments).toHaveLength(1);

    await sb.advanceClock(10 * MIN);
    after = await charge(orderId, { plate: '京A12345' });
    expect(after.datas).toMatchObject({ payCharge: '0.00', paidfreeTime: '5' });

    // Past the paid free time and into a third started hour: 2.00 more.
    await sb.advanceClock(60 * MIN);
    after = await charge(orderId, { plate: '京A12345' });
    expect(after.datas).toMatchObject({ charge: '6.00', paidTotal: '4.00', payCharge: '2.00', paidfreeTime: '15', stopTimeTotal: '131' });
    expect((await control(sb, 'POST', `/parks/${PN}/departures`, { lane: '2', orderId })).status).toBe(409);
    // The car waits at the exit: paying the rest opens the barrier (4.5), it leaves by itself.
    expect((await payFor(after.datas, 'TX-2')).status).toBe('success');
    await sb.outbox.idle();
    expect((await control(sb, 'POST', `/parks/${PN}/departures`, { lane: '2', orderId })).body.error.code).toBe('not_in_park');
    const record = sb.park(PN).state.cars.get(orderId)!.exitRecord!;
    expect(record.passInfo).toMatchObject({ outChannel: '东门出口', outTime: '2026-01-15 12:11:00' });
    expect(record.chargeStatistics).toMatchObject({ charge: '6.00', onLineCharge: '6.00', offLineCharge: '0.00', profitChargeTotal: '0.00' });
    expect(record.chargeList.map((c: { payNo: string; payCharge: string; payChannel: string }) => [c.payNo, c.payCharge, c.payChannel])).toEqual([
      ['TX-1', '4.00', '提前付'],
      ['TX-2', '2.00', '提前付'],
    ]);
    const out = receiver.on('/bluecard/v2/out-records');
    expect(out).toHaveLength(1);
    expect(out[0].body).toMatchObject({ parkNumber: PN, size: 1 });
    expect((out[0].body.datas as { orderId: string }[])[0].orderId).toBe(orderId);
  });

  it('a 25 h stay is capped per day', async () => {
    const { orderId } = await sb.park(PN).arrive({ lane: '1', plate: '京A25000' });
    await sb.advanceClock(25 * HOUR);
    expect((await charge(orderId, { plate: '京A25000' })).datas).toMatchObject({ charge: '22.00', payCharge: '22.00', stopTimeTotal: '1500' });
  });

  it('a second transactionID for an already paid outTradeNo is a second payment', async () => {
    const { orderId } = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(61 * MIN);
    const q = await charge(orderId, { plate: '京A12345' });
    expect((await payFor(q.datas, 'TX-1')).status).toBe('success');
    expect((await payFor(q.datas, 'TX-2')).status).toBe('success');
    expect((await charge(orderId)).errorCode).toBe('车牌与订单不符'); // "" is for unlicensed cars only
    expect((await charge(orderId, { plate: '京 a12345' })).datas).toMatchObject({ paidTotal: '8.00', payCharge: '0.00' });
  });

  it('refuses payments that do not belong: unknown order, unknown or foreign outTradeNo, reused transactionID, wrong amount or getTime', async () => {
    const park = sb.park(PN);
    const a = await park.arrive({ lane: '1', plate: '京A11111' });
    const b = await park.arrive({ lane: '1', plate: '京B22222' });
    await sb.advanceClock(61 * MIN);
    const qa = (await charge(a.orderId, { plate: '京A11111' })).datas;
    const qb = (await charge(b.orderId, { plate: '京B22222' })).datas;

    expect((await payFor({ ...qa, orderId: '999999' }, 'TX-x')).errorCode).toBe('订单不存在');
    expect((await payFor({ ...qa, outTradeNo: `${PN}_0_${a.orderId}_000000` }, 'TX-x')).errorCode).toMatch(/outTradeNo/);
    expect((await payFor({ ...qa, outTradeNo: qb.outTradeNo }, 'TX-x')).errorCode).toMatch(/outTradeNo/);
    expect((await payFor(qa, 'TX-x', { payCharge: '3.00', realCharge: '3.00' })).errorCode).toMatch(/payCharge/);
    expect((await payFor(qa, 'TX-x', { getTime: '2026-01-15 11:00:00', getTimes: '2026-01-15 11:00:00' })).errorCode).toMatch(/getTime/);
    expect((await payFor(qa, 'TX-x', { plate: '京B22222' })).errorCode).toBe('车牌与订单不符');
    expect(park.state.payments.size).toBe(0);

    expect((await payFor(qa, 'TX-a')).status).toBe('success');
    expect((await payFor(qb, 'TX-a')).errorCode).toMatch(/已用于其他订单/);
    await park.leave({ lane: '2', orderId: a.orderId });
    expect((await charge(a.orderId, { plate: '京A11111' })).errorCode).toBe('车辆已出场');
    // A resend after the car left still answers success (idempotent).
    expect((await payFor(qa, 'TX-a')).status).toBe('success');
  });

  it('couponTime (hours) in getChargebf takes its worth off and stays with the stay once paid', async () => {
    const { orderId } = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(150 * MIN);
    expect((await charge(orderId, { plate: '京A12345' })).datas).toMatchObject({ payCharge: '6.00' });
    // A quote in the same second has the same outTradeNo (…_HHmmss): the latest quote is the one to pay.
    const q = await charge(orderId, { plate: '京A12345', couponTime: '1' });
    expect(q.datas).toMatchObject({ charge: '6.00', profitChargeTotal: '2.00', profitTimeTotal: '60', payCharge: '4.00' });
    expect((await payFor(q.datas, 'TX-1')).status).toBe('success');
    const { record } = await sb.park(PN).leave({ lane: '2', orderId });
    expect(record.chargeStatistics).toMatchObject({ charge: '6.00', onLineCharge: '4.00', profitChargeTotal: '2.00', onLineProfitTimeNum: '60' });
  });
});

describe('unlicensed cars by codeKind + authId (4.29 / 4.30)', () => {
  const inBody = (extra: Record<string, unknown> = {}) => ({
    parkNumber: PN,
    method: 'unlicensedCarIn',
    codeKind: '1',
    authId: 'oWx-driver-1',
    passagewayId: '1',
    ephemeralPlate: '',
    ...extra,
  });
  const outBody = (extra: Record<string, unknown> = {}) => ({ ...inBody(), method: 'unlicensedCarOut', passagewayId: '2', ...extra });

  it('gives a 临 plate, prices the same identity at the exit, and opens on payment', async () => {
    const entered = await down(sb, 'unlicensedCarIn', inBody());
    expect(entered).toMatchObject({ status: 'success', datas: { plate: '临A00001', inTime: '2026-01-15 10:00:00' } });
    expect(entered.datas.inImage).toMatch(/\.jpg\^\d+$/);
    // Scanning again gives the same stay.
    expect((await down(sb, 'unlicensedCarIn', inBody())).datas.plate).toBe('临A00001');
    await sb.outbox.idle();
    const inRecords = receiver.on('/bluecard/v2/in-records');
    expect(inRecords).toHaveLength(1);
    expect((inRecords[0].body.datas as { plate: string }[])[0].plate).toBe('临A00001');

    await sb.advanceClock(61 * MIN);
    expect((await down(sb, 'unlicensedCarOut', outBody({ authId: 'someone-else' }))).errorCode).toBe('未找到入场记录');
    expect((await down(sb, 'unlicensedCarOut', outBody({ codeKind: '2' }))).errorCode).toBe('未找到入场记录');
    expect((await down(sb, 'unlicensedCarOut', outBody({ passagewayId: '1' }))).errorCode).toBe('通道不是出口');
    const priced = await down(sb, 'unlicensedCarOut', outBody());
    expect(priced.status).toBe('success');
    expect(priced.datas).toMatchObject({ plate: '临A00001', charge: '4.00', payCharge: '4.00', stopTimeTotal: '61' });
    expect(priced.datas.outTradeNo).toBe(`${PN}_2_${priced.datas.orderId}_110100`);

    expect((await payFor(priced.datas, 'TX-u1', { payChannel: '扫码付' })).status).toBe('success');
    await sb.outbox.idle();
    const out = receiver.on('/bluecard/v2/out-records');
    expect(out).toHaveLength(1);
    const rec = (out[0].body.datas as { passInfo: { outChannel: string }; chargeList: { payNo: string }[] }[])[0];
    expect(rec.passInfo.outChannel).toBe('东门出口');
    expect(rec.chargeList[0].payNo).toBe('TX-u1');
  });

  it('uses our ephemeral plate when given; refuses an exit lane at the entry', async () => {
    expect((await down(sb, 'unlicensedCarIn', inBody({ passagewayId: '2' }))).errorCode).toBe('通道不是入口');
    expect((await down(sb, 'unlicensedCarIn', inBody({ passagewayId: '9' }))).errorCode).toBe('通道不存在');
    expect((await down(sb, 'unlicensedCarIn', inBody({ ephemeralPlate: '临PP0001' }))).datas.plate).toBe('临PP0001');
    expect((await down(sb, 'unlicensedCarIn', inBody({ authId: 'other', ephemeralPlate: '临PP0001' }))).errorCode).toBe('车辆已在场');
  });
});

describe('coupons (4.23)', () => {
  const couponBody = (orderId: string, items: Record<string, unknown>[]) => ({
    parkNumber: PN,
    datas: items.map((c, i) => ({ id: String(i + 1), end: '2026-01-16 00:00:00', orderId, plate: '京A12345', ...c })),
  });

  it('hour coupons (position in minutes) and money coupons (position in fen) reduce the charge; a repeated code fails', async () => {
    const { orderId } = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(150 * MIN); // 3 started hours: 6.00
    expect((await down(sb, 'coupon', couponBody(orderId, [{ couponCode: 'H-60', couponModeId: '0', position: '60' }]))).status).toBe('success');
    let q = await charge(orderId, { plate: '京A12345' });
    expect(q.datas).toMatchObject({ charge: '6.00', profitChargeTotal: '2.00', profitTimeTotal: '60', payCharge: '4.00' });

    expect((await down(sb, 'coupon', couponBody(orderId, [{ couponCode: 'M-150', couponModeId: '1', position: '150' }]))).status).toBe('success');
    q = await charge(orderId, { plate: '京A12345' });
    expect(q.datas).toMatchObject({ profitChargeTotal: '3.50', payCharge: '2.50' });

    // Reused code, alone or beside a fresh one: nothing is applied.
    expect((await down(sb, 'coupon', couponBody(orderId, [{ couponCode: 'M-150', couponModeId: '1', position: '100' }]))).errorCode).toMatch(/重复/);
    const mixed = couponBody(orderId, [
      { couponCode: 'M-new', couponModeId: '1', position: '100' },
      { couponCode: 'M-new', couponModeId: '1', position: '100' },
    ]);
    expect((await down(sb, 'coupon', mixed)).errorCode).toMatch(/重复/);
    expect((await charge(orderId, { plate: '京A12345' })).datas.payCharge).toBe('2.50');
    expect((await down(sb, 'coupon', couponBody('424242', [{ couponCode: 'X', couponModeId: '1', position: '100' }]))).errorCode).toMatch(/入场记录不存在/);
    expect((await down(sb, 'coupon', couponBody(orderId, [{ couponCode: 'Y', couponModeId: '1', position: '100', end: '2026-01-15 09:00:00' }]))).errorCode).toMatch(/过期/);

    // A money coupon bigger than the rest is worth only the rest.
    expect((await down(sb, 'coupon', couponBody(orderId, [{ couponCode: 'M-big', couponModeId: '1', position: '5000' }]))).status).toBe('success');
    q = await charge(orderId, { plate: '京A12345' });
    expect(q.datas).toMatchObject({ charge: '6.00', profitChargeTotal: '6.00', payCharge: '0.00' });
    const { record } = await sb.park(PN).leave({ lane: '2', orderId });
    expect(record.chargeStatistics).toMatchObject({
      charge: '6.00',
      onLineCharge: '0.00',
      profitChargeTotal: '6.00',
      onLineProfitChargeNum: '51.50',
      onLineProfitChargeValue: '4.00',
      onLineProfitTimeNum: '60',
      onLineProfitTimeValue: '2.00',
    });
    expect(record.profitList.map((p) => [p.profitCode, p.profitTime, p.profitCharge, p.profitChargeValue])).toEqual([
      ['H-60', '60', '0.00', '2.00'],
      ['M-150', '0', '1.50', '1.50'],
      ['M-big', '0', '50.00', '2.50'],
    ]);
  });
});

describe('white and black lists (4.6–4.11)', () => {
  const entry = (plate: string, extra: Record<string, unknown> = {}) => ({
    ...(validBodies(PN).synWhite.datas as Record<string, unknown>[])[0],
    plate,
    ...extra,
  });

  it('round trip: upsert, query (only known plates), whitelisted car parks free, delete one, delete all', async () => {
    const syn = await down(sb, 'synWhite', {
      parkNumber: PN,
      size: 2,
      datas: [entry('京A466BD'), entry('京A46699', { areasAndValidity: [{ areaId: 2, start: '2026-01-01', end: '2026-06-30' }] })],
    });
    expect(syn.status).toBe('success');
    const q = await down(sb, 'queryWhite', { parkNumber: PN, size: 3, datas: [{ plate: '京A466BD' }, { plate: '京A46699' }, { plate: '京Z00000' }] });
    expect(q.status).toBe('success');
    expect(q.datas.map((w: { plate: string }) => w.plate)).toEqual(['京A466BD', '京A46699']);
    expect(q.datas[1].areasAndValidity).toEqual([{ areaId: 2, start: '2026-01-01', end: '2026-06-30' }]);
    expect(bluecardInterfaces['4.8'].mirror.answer.safeParse({ status: 'success', datas: q.datas }).success).toBe(true);

    const fixed = await sb.park(PN).arrive({ lane: '1', plate: '京A466BD' });
    expect(fixed.carType).toBe('固定车');
    // Valid in area 2 only: a temporary car in area 1.
    expect((await sb.park(PN).arrive({ lane: '1', plate: '京A46699' })).carType).toBe('临时车');
    await sb.advanceClock(3 * HOUR);
    expect((await charge(fixed.orderId, { plate: '京A466BD' })).datas).toMatchObject({ charge: '0.00', payCharge: '0.00' });

    expect((await down(sb, 'synWhite', { parkNumber: PN, size: 1, datas: [entry('京A00009', { areasAndValidity: [{ areaId: 7, start: '2026-01-01', end: '2026-02-01' }] })] })).errorCode).toMatch(/区域不存在/);
    expect((await down(sb, 'delWhite', { parkNumber: PN, plate: '京A466BD' })).status).toBe('success');
    expect((await down(sb, 'queryWhite', { parkNumber: PN, size: 1, datas: [{ plate: '京A466BD' }] })).datas).toEqual([]);
    expect((await down(sb, 'delWhite', { parkNumber: PN, plate: '' })).status).toBe('success');
    expect((await down(sb, 'queryWhite', { parkNumber: PN, size: 1, datas: [{ plate: '京A46699' }] })).datas).toEqual([]);
  });

  it('blacklist: upsert, query, a blacklisted car is refused at the entry, delete all', async () => {
    expect((await down(sb, 'synBlack', { parkNumber: PN, source: '线上', size: 2, datas: [{ plate: '京B00001', memo: '逃费' }, { plate: '京B00002', memo: '' }] })).status).toBe('success');
    const q = await down(sb, 'queryBlack', { parkNumber: PN, size: 2, datas: [{ plate: '京B00001' }, { plate: '京B09999' }] });
    expect(q.datas).toEqual([{ plate: '京B00001', memo: '逃费' }]);
    const refused = await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京 B00001' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('blacklisted');
    expect((await down(sb, 'delBlack', { parkNumber: PN, plate: '' })).status).toBe('success');
    expect((await down(sb, 'queryBlack', { parkNumber: PN, size: 1, datas: [{ plate: '京B00002' }] })).datas).toEqual([]);
    expect((await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京B00001' })).status).toBe(201);
  });
});

describe('bookings (4.18 / 4.19)', () => {
  const booking = (plate: string, bookOrderId: string, start: string, end: string, extra: Record<string, unknown> = {}) => ({
    plate,
    start,
    end,
    areaId: '0',
    flag: '1',
    charge: '2.50',
    bookOrderId,
    bookOrderTime: '2026-01-15 09:00:00',
    letInStartTime: start,
    letInEndTime: end,
    memo: '',
    ...extra,
  });
  const query = (plateList: string[], start = '', end = '') => down(sb, 'queryBookingCar', { parkNumber: PN, datas: { plateList, start, end } });
  const ids = (a: DownAnswer) => (a.datas.bookList as { bookOrderId: string }[]).map((b) => b.bookOrderId).sort();

  it('answers the four filter combinations, cancels with flag 0, and admits a booked car as 预约车', async () => {
    const syn = await down(sb, 'synBookingCar', {
      parkNumber: PN,
      datas: [
        booking('京A00001', 'BK-A', '2026-01-15 10:00:00', '2026-01-15 12:00:00'),
        booking('京B00002', 'BK-B', '2026-01-15 14:00:00', '2026-01-15 16:00:00', { areaId: '2' }),
      ],
    });
    expect(syn.status).toBe('success');
    expect(ids(await query([]))).toEqual(['BK-A', 'BK-B']); // no plate, no time
    expect(ids(await query(['京A00001']))).toEqual(['BK-A']); // plate, no time
    expect(ids(await query([], '2026-01-15 13:00:00', '2026-01-15 15:00:00'))).toEqual(['BK-B']); // time, no plate
    expect(ids(await query(['京A00001'], '2026-01-15 13:00:00', '2026-01-15 15:00:00'))).toEqual([]); // both
    expect(ids(await query(['京A00001', '京B00002'], '2026-01-15 11:00:00', '2026-01-15 14:30:00'))).toEqual(['BK-A', 'BK-B']);
    const a = await query(['京A00001']);
    expect(a.datas.bookList[0]).toMatchObject({ plate: '京A00001', downTime: '2026-01-15 10:00:00', inTime: '', letInEndTime: '2026-01-15 12:00:00' });
    expect(bluecardInterfaces['4.19'].mirror.answer.safeParse({ status: 'success', datas: a.datas }).success).toBe(true);

    const car = await sb.park(PN).arrive({ lane: '1', plate: '京A00001' });
    expect(car.carType).toBe('预约车');
    expect((await query(['京A00001'])).datas.bookList[0].inTime).toBe('2026-01-15 10:00:00');

    expect((await down(sb, 'synBookingCar', { parkNumber: PN, datas: [booking('京B00002', 'BK-B', '2026-01-15 14:00:00', '2026-01-15 16:00:00', { areaId: '2', flag: '0' })] })).status).toBe('success');
    expect(ids(await query([]))).toEqual(['BK-A']);
    expect((await down(sb, 'synBookingCar', { parkNumber: PN, datas: [booking('京C0', 'BK-nope', '2026-01-15 14:00:00', '2026-01-15 16:00:00', { flag: '0' })] })).errorCode).toMatch(/预约订单不存在/);
    expect((await down(sb, 'synBookingCar', { parkNumber: PN, datas: [booking('京C0', 'BK-C', '2026-01-15 14:00:00', '2026-01-15 16:00:00', { areaId: '9' })] })).errorCode).toMatch(/区域不存在/);

    // The heartbeat counts the booked car in the park.
    expect(sb.park(PN).state.counts().bookInParkCount).toBe(1);
    // A finished booking is no longer open.
    await sb.park(PN).leave({ lane: '2', orderId: car.orderId, force: true });
    expect(ids(await query([]))).toEqual([]);
  });
});

describe('spaces (4.33 / 4.34) and pictures (4.20)', () => {
  it('cars occupy spaces; fuzzy plate search of at least 4 characters; "" finds the unlicensed cars', async () => {
    const park = sb.park(PN);
    await park.arrive({ lane: '1', plate: '京A12345', spaceId: 'A002' });
    await park.arrive({ lane: '1', plate: '京A12399' });
    await down(sb, 'unlicensedCarIn', { parkNumber: PN, method: 'unlicensedCarIn', codeKind: '2', authId: '2088-x', passagewayId: '3', ephemeralPlate: '' });

    const all = await down(sb, 'getAllSpaceStatus', { parkNumber: PN, method: 'getAllSpaceStatus' });
    expect(all.datas).toEqual([
      { layerId: '001', layerName: '地面一层', spaceId: 'A001', rateState: 1, plate: '京A12399', carType: '临时车' },
      { layerId: '001', layerName: '地面一层', spaceId: 'A002', rateState: 1, plate: '京A12345', carType: '临时车' },
      { layerId: '002', layerName: '地下一层', spaceId: 'B001', rateState: 1, plate: '临A00001', carType: '临时车' },
    ]);

    const fuzzy = await down(sb, 'getSpaceStatusByPlate', { parkNumber: PN, method: 'getSpaceStatusByPlate', plate: 'A123' });
    expect(fuzzy.datas.map((d: { plate: string }) => d.plate).sort()).toEqual(['京A12345', '京A12399']);
    const one = await down(sb, 'getSpaceStatusByPlate', { parkNumber: PN, method: 'getSpaceStatusByPlate', plate: '京 a12345' });
    expect(one.datas).toEqual([
      {
        layerId: '001',
        layerName: '地面一层',
        spaceId: 'A002',
        plate: '京A12345',
        carType: '临时车',
        imgPath: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/images\//),
        space_x: '0.2',
        space_y: '0.2',
      },
    ]);
    const unlicensed = await down(sb, 'getSpaceStatusByPlate', { parkNumber: PN, method: 'getSpaceStatusByPlate', plate: '' });
    expect(unlicensed.datas).toHaveLength(1);
    expect(unlicensed.datas[0]).toMatchObject({ spaceId: 'B001', plate: '无牌车', carType: '临时车', space_x: '0.5', space_y: '0.6' });
    expect((await down(sb, 'getSpaceStatusByPlate', { parkNumber: PN, method: 'getSpaceStatusByPlate', plate: 'Z999' })).datas).toEqual([]);

    // The picture link works and is a JPEG.
    const img = await fetch(unlicensed.datas[0].imgPath);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const bytes = Buffer.from(await img.arrayBuffer());
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xd8]);
    expect([...bytes.subarray(-2)]).toEqual([0xff, 0xd9]);
  });

  it('queryImgByName answers a URL served by the sandbox, for names exactly as the records spelled them', async () => {
    const car = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    expect(car.inImage).toContain('^');
    const a = await down(sb, 'queryImgByName', { parkNumber: PN, datas: [car.inImage, 'missing.jpg'] });
    expect(a.status).toBe('success');
    expect(a.datas.imageList).toEqual([{ imageName: car.inImage, imageURL: `${sb.url}/images/${encodeURIComponent(car.inImage)}` }]);
    const res = await fetch(a.datas.imageList[0].imageURL);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).includes(Buffer.from(car.inImage))).toBe(true);
    expect((await down(sb, 'queryImgByName', { parkNumber: PN, datas: [car.inImage.replace(/\^\d+$/, '')] })).errorCode).toBe('图片不存在');
  });
});

describe('RemoteLiftRod (4.22)', () => {
  it('records lifts per lane, fails for an unknown lane, and lets a waiting car out', async () => {
    expect((await down(sb, 'RemoteLiftRod', { parkNumber: PN, passagewayId: '1' })).status).toBe('success');
    expect((await down(sb, 'RemoteLiftRod', { parkNumber: PN, passagewayId: '99' })).errorCode).toBe('通道不存在');
    expect((await down(sb, 'RemoteLiftRod', { parkNumber: PN, passagewayId: '东门入口' })).errorCode).toBe('通道不存在');
    const { orderId } = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(2 * HOUR);
    await expect(sb.park(PN).leave({ lane: '2', orderId })).rejects.toMatchObject({ code: 'unpaid' });
    expect((await down(sb, 'RemoteLiftRod', { parkNumber: PN, passagewayId: '2' })).status).toBe('success');
    const dump = (await control(sb, 'GET', `/parks/${PN}`)).body;
    expect(dump.lifts.map((l: { passagewayId: string; released?: string }) => [l.passagewayId, l.released ?? null])).toEqual([
      ['1', null],
      ['2', orderId],
    ]);
    expect(dump.departed[0]).toMatchObject({ orderId, outChannel: '东门出口' });
    expect(sb.park(PN).state.cars.get(orderId)!.exitRecord!.passInfo.openGateMode).toBe('远程抬杆');
  });
});

describe('fault injection on down calls', () => {
  it('HTTP 500, status fail, bad JSON, then normal again; only the matching interface and park', async () => {
    for (const kind of ['http500', 'fail', 'badJson']) {
      expect((await control(sb, 'POST', '/faults', { kind, count: 1, name: 'getAllSpaceStatus', parkNumber: PN })).status).toBe(201);
    }
    // Another interface and another park are not hit.
    expect((await down(sb, 'getSpaceStatusByPlate', { parkNumber: PN, method: 'getSpaceStatusByPlate', plate: '' })).status).toBe('success');
    expect((await down(sb, 'getAllSpaceStatus', { parkNumber: PN2, method: 'getAllSpaceStatus' })).status).toBe('success');

    const body = { parkNumber: PN, method: 'getAllSpaceStatus' };
    const first = await down(sb, 'getAllSpaceStatus', body);
    expect(first.httpStatus).toBe(500);
    const second = await down(sb, 'getAllSpaceStatus', body);
    expect(second).toMatchObject({ httpStatus: 200, status: 'fail' });
    const third = await down(sb, 'getAllSpaceStatus', body);
    expect(third.httpStatus).toBe(200);
    expect(() => JSON.parse(third.raw)).toThrow();
    expect((await down(sb, 'getAllSpaceStatus', body)).status).toBe('success');
    expect((await control(sb, 'GET', '/faults')).body.faults.every((f: { remaining: number }) => f.remaining === 0)).toBe(true);
  });

  it('timeout: no answer, the connection is cut', async () => {
    sb.faults.add({ kind: 'timeout', count: 1, hangMs: 200 });
    const started = Date.now();
    await expect(down(sb, 'getAllSpaceStatus', { parkNumber: PN, method: 'getAllSpaceStatus' })).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect((await down(sb, 'getAllSpaceStatus', { parkNumber: PN, method: 'getAllSpaceStatus' })).status).toBe('success');
  });

  it("phase 'after': the payment is recorded but the answer is lost; the resend with the same transactionID is a no-op success", async () => {
    const { orderId } = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(61 * MIN);
    const q = await charge(orderId, { plate: '京A12345' });
    sb.faults.add({ kind: 'http500', count: 1, name: 'sendPayRes', phase: 'after' });
    expect((await payFor(q.datas, 'TX-lost')).httpStatus).toBe(500);
    expect(sb.park(PN).state.payments.size).toBe(1);
    expect((await payFor(q.datas, 'TX-lost')).status).toBe('success');
    expect(sb.park(PN).state.payments.size).toBe(1);
    expect((await charge(orderId, { plate: '京A12345' })).datas).toMatchObject({ paidTotal: '4.00', payCharge: '0.00' });
  });
});

it('each park answers with its own key; times are China time whatever the host zone', async () => {
  const a = await sb.park(PN2).arrive({ lane: '入口', plate: '沪A00001' });
  expect(a.inTime).toBe(formatChinaTime(T0));
  expect((await down(sb, 'getChargebf', { ...validBodies(PN2).getChargebf, orderId: a.orderId, plate: '沪A00001' })).status).toBe('success');
  expect((await down(sb, 'getChargebf', { ...validBodies(PN2).getChargebf, orderId: a.orderId, plate: '沪A00001' }, { key: KEY })).errorCode).toBe('签名错误');
});

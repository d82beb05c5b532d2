/**
 * The sandbox lot acts as a real lot would (a real HTTP receiver plays ParkPay, the sandbox runs on a
 * ManualClock):
 * - a plated car owing money at an exit lane makes the lot ask 4.16 by itself: an agreement answer pays and
 *   opens the barrier; a QR answer goes on the lane screen and the lot polls 4.17 until paid (the barrier
 *   opens), the car is gone, or the QR lapses;
 * - a payment code at the booth (4.24) when asked;
 * - monthly cars (whitelist, per area, with validity dates) leave free; the time outside a pass is paid;
 * - a paid car that overstays its free time after paying owes the difference.
 */
import { QR_POLL } from '../../../../server/sandbox/bluecard';
import type { BluecardSandbox } from '../../../../server/sandbox/bluecard';
import type { ManualClock } from '../../../../server/src/core/clock';
import { HOUR, MIN, PN, Receiver, type Received, control, down, startTestSandbox } from './support';

let receiver: Receiver;
let sb: BluecardSandbox;
let clock: ManualClock;
let errors: unknown[];

const W_OR_QR = '/bluecard/v2/withhold-or-qrcode';
const QR_RESULT = '/bluecard/v2/qrcode-pay-result';
const FACE_PAY = '/bluecard/v2/face-pay';
const ok = (datas: Record<string, unknown> = {}) => ({ body: { status: 'success', datas: { timeStamp: String(clock.now()), ...datas } } });
const fail = (errorCode: string) => ({ body: { status: 'fail', errorCode } });

/** ParkPay's answers: per path, else success. */
function answer(by: Record<string, (c: Received) => ReturnType<typeof ok> | ReturnType<typeof fail>>) {
  receiver.reply = (c) => (by[c.path] ?? (() => ok()))(c);
}

beforeEach(async () => {
  receiver = await new Receiver().start();
  ({ sb, clock, errors } = await startTestSandbox(receiver, { exitWithholding: true }));
});

afterEach(async () => {
  await sb.stop();
  await receiver.stop();
  expect(errors).toEqual([]);
});

const lot = () => sb.park(PN);
const inPark = (orderId: string) => lot().state.cars.get(orderId)?.outTime === undefined;

describe('a car owing money at an exit lane (exitWithholding)', () => {
  it('with an agreement: the lot asks 4.16 by itself, records the deduction and lets the car out', async () => {
    answer({
      [W_OR_QR]: (c) => ok({ agreement: { outTradeNo: String(c.body.outTradeNo), payType: '微信', totalFee: String(c.body.payCharge), tradeNo: 'PW0001', userId: '' } }),
    });
    const { orderId } = await lot().arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(75 * MIN);
    const left = await lot().leave({ lane: '2', orderId });
    const asked = receiver.on(W_OR_QR);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.body).toMatchObject({ parkNumber: PN, payCharge: '4.00', plate: '京A12345' });
    expect(String(asked[0]!.body.outTradeNo)).toMatch(new RegExp(`^${PN}_2_${orderId}_\\d{6}$`));
    expect(left.lanePayment).toMatchObject({ section: '4.16', acknowledged: true, paid: '4.00', left: true });
    expect(inPark(orderId)).toBe(false);
    expect(left.record.chargeList).toEqual([expect.objectContaining({ payNo: 'PW0001', payCharge: '4.00', payChannel: '无感付' })]);
    // A barrier opening for the car (the playground animates these).
    expect(sb.gates.since(0).map((g) => [g.kind, g.passagewayId, g.plate])).toEqual([
      ['in', '1', '京A12345'],
      ['out', '2', '京A12345'],
    ]);
  });

  it('without one: the QR goes on the lane screen; the lot polls 4.17 on its clock until paid, then opens', async () => {
    let paid = false;
    answer({
      [W_OR_QR]: () => ok({ qrCode: 'weixin://wxpay/bizpayurl?pr=abc1234' }),
      [QR_RESULT]: (c) =>
        paid ? ok({ outTradeNo: String(c.body.outTradeNo), payType: '微信', totalFee: '4.00', tradeNo: 'PQ0001', userId: '', plate: '京A12345' }) : fail('not_paid: the QR has not been paid yet'),
    });
    const { orderId } = await lot().arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(75 * MIN);
    const refused = await lot().leave({ lane: '2', orderId }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'unpaid', details: { payCharge: '4.00', qrCode: 'weixin://wxpay/bizpayurl?pr=abc1234' } });
    expect(lot().screens()).toEqual([
      expect.objectContaining({ passagewayId: '2', orderId, plate: '京A12345', owedFen: 400, qrCode: 'weixin://wxpay/bizpayurl?pr=abc1234', message: '请扫码缴费 4.00 元' }),
    ]);
    // Back at the lane with its QR still up: no second 4.16.
    await expect(lot().leave({ lane: '2', orderId })).rejects.toMatchObject({ code: 'unpaid' });
    expect(receiver.on(W_OR_QR)).toHaveLength(1);

    // Polled every few seconds of the lot's clock while unpaid.
    await sb.advanceClock(10_000);
    const polls = receiver.on(QR_RESULT).length;
    expect(polls).toBe(Math.floor(10_000 / QR_POLL.fastMs));
    expect(receiver.on(QR_RESULT)[0]!.body).toEqual({ parkNumber: PN, outTradeNo: refused && (refused as { details: { outTradeNo: string } }).details.outTradeNo });
    expect(inPark(orderId)).toBe(true);

    paid = true;
    await sb.advanceClock(QR_POLL.fastMs);
    expect(inPark(orderId)).toBe(false);
    const car = lot().state.cars.get(orderId)!;
    expect(car.exitRecord!.chargeList).toEqual([expect.objectContaining({ payNo: 'PQ0001', payCharge: '4.00', payChannel: '扫码付' })]);
    expect(lot().screens()).toEqual([]);
    // Nothing polls after the car left.
    const after = receiver.on(QR_RESULT).length;
    await sb.advanceClock(5 * MIN);
    expect(receiver.on(QR_RESULT).length).toBe(after);
  });

  it('polls fast, then slower, and stops when the QR lapses (the screen says so)', async () => {
    answer({ [W_OR_QR]: () => ok({ qrCode: 'https://qr.alipay.com/bax01' }), [QR_RESULT]: () => fail('not_paid: the QR has not been paid yet') });
    const { orderId } = await lot().arrive({ lane: '1', plate: '沪B66666' });
    await sb.advanceClock(HOUR);
    await expect(lot().leave({ lane: '2', orderId })).rejects.toMatchObject({ code: 'unpaid' });
    await sb.advanceClock(30 * MIN);
    const expected = Math.floor(QR_POLL.fastForMs / QR_POLL.fastMs) + Math.floor((QR_POLL.forMs - QR_POLL.fastForMs) / QR_POLL.slowMs);
    const polls = receiver.on(QR_RESULT).length;
    expect(polls).toBeGreaterThanOrEqual(expected - 1);
    expect(polls).toBeLessThanOrEqual(expected + 1);
    expect(lot().screens()).toEqual([expect.objectContaining({ orderId, message: '二维码已过期, 请重新识别车牌' })]);
    expect(lot().screens()[0]!.qrCode).toBeUndefined();
    // Recognised again: a new 4.16 (a new outTradeNo, a new QR).
    await expect(lot().leave({ lane: '2', orderId })).rejects.toMatchObject({ code: 'unpaid', details: { qrCode: 'https://qr.alipay.com/bax01' } });
    expect(receiver.on(W_OR_QR)).toHaveLength(2);
  });

  it("ParkPay's refusal or silence keeps the barrier down and says so on the screen", async () => {
    answer({ [W_OR_QR]: () => fail('not_offered: no payment QR provider is set up for this park') });
    const { orderId } = await lot().arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(HOUR);
    await expect(lot().leave({ lane: '2', orderId })).rejects.toMatchObject({ code: 'unpaid', details: { lanePayment: { section: '4.16', acknowledged: false } } });
    expect(lot().screens()[0]!.message).toContain('not_offered');
    // Cash at the booth still works.
    const cash = await lot().leave({ lane: '2', orderId, force: true, settle: 'cash' });
    expect(cash.record.chargeStatistics.offLineCharge).toBe('2.00');
    expect(lot().screens()).toEqual([]);
  });

  it('a paid car, and an unlicensed car, never make the lot ask 4.16', async () => {
    const paid = await lot().arrive({ lane: '1', plate: '京A11111' });
    const scanned = await lot().arrive({ lane: '1', codeKind: '1', authId: 'oDEMOabc' });
    await sb.advanceClock(10 * MIN); // within the free minutes: nothing owed
    await lot().leave({ lane: '2', orderId: paid.orderId });
    await sb.advanceClock(HOUR);
    await expect(lot().leave({ lane: '2', orderId: scanned.orderId })).rejects.toMatchObject({ code: 'unpaid' });
    expect(receiver.on(W_OR_QR)).toEqual([]);
  });

  it('off by default: the car is refused and nothing is asked', async () => {
    const plain = await startTestSandbox(receiver);
    try {
      const { orderId } = await plain.sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
      await plain.sb.advanceClock(HOUR);
      await expect(plain.sb.park(PN).leave({ lane: '2', orderId })).rejects.toMatchObject({ code: 'unpaid' });
      expect(receiver.on(W_OR_QR)).toEqual([]);
    } finally {
      await plain.sb.stop();
    }
  });
});

describe('a payment code at the booth (4.24), when asked', () => {
  it('the departure carries the code: the lot asks 4.24, records the payment and opens', async () => {
    answer({
      [FACE_PAY]: (c) =>
        ok({ payContent: { tradeNo: 'FP0001', outTradeNo: String(c.body.outTradeNo), payCharge: String(c.body.payCharge), payTime: '2026-01-15 11:15:00', userId: '', payType: '微信' } }),
    });
    const { orderId } = await lot().arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(75 * MIN);
    const left = await lot().leave({ lane: '2', orderId, authCode: '134567890123456789' });
    expect(receiver.on(FACE_PAY)).toHaveLength(1);
    expect(receiver.on(FACE_PAY)[0]!.body).toMatchObject({ authCode: '134567890123456789', payCharge: '4.00', orderId });
    expect(receiver.on(W_OR_QR)).toEqual([]);
    expect(left.lanePayment).toMatchObject({ section: '4.24', paid: '4.00', left: true });
    expect(left.record.chargeList).toEqual([expect.objectContaining({ payNo: 'FP0001', payChannel: '当面付' })]);
  });

  it('over the control API too (departures {authCode})', async () => {
    answer({
      [FACE_PAY]: (c) =>
        ok({ payContent: { tradeNo: 'FP0002', outTradeNo: String(c.body.outTradeNo), payCharge: String(c.body.payCharge), payTime: '2026-01-15 11:00:00', userId: '', payType: '支付宝' } }),
    });
    const { orderId } = await lot().arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(HOUR);
    const r = await control(sb, 'POST', `/parks/${PN}/departures`, { lane: '2', orderId, authCode: '281234567890123456' });
    expect(r.status).toBe(200);
    expect(r.body.lanePayment).toMatchObject({ section: '4.24', paid: '2.00' });
  });
});

describe('monthly cars (whitelist, per area, with validity dates)', () => {
  const white = (plate: string, o: { start?: string; end?: string; areas?: { areaId: number; start: string; end: string }[] } = {}) =>
    lot().offlineWhite({
      plate,
      chargeType: '不收费',
      name: '',
      certificate: '',
      address: '',
      phone: '',
      plateColor: '蓝牌',
      start: o.start ?? '2026-01-01',
      end: o.end ?? '2026-12-31',
      dept: '',
      carType: '月租车',
      memo: '',
      areasAndValidity: o.areas ?? [],
    });

  it('leave free however long they stay, without asking ParkPay', async () => {
    await white('京M00001');
    const { orderId, carType } = await lot().arrive({ lane: '1', plate: '京M00001' });
    expect(carType).toBe('固定车');
    await sb.advanceClock(30 * HOUR);
    const left = await lot().leave({ lane: '2', orderId });
    expect(left.record.chargeStatistics.charge).toBe('0.00');
    expect(receiver.on(W_OR_QR)).toEqual([]);
  });

  it('a pass for one area only: in another area the car is a temporary car and pays', async () => {
    await white('京M00002', { areas: [{ areaId: 1, start: '2026-01-01', end: '2026-12-31' }] });
    const inArea2 = await lot().arrive({ lane: '3', plate: '京M00002' });
    expect(inArea2.carType).toBe('临时车');
    await sb.advanceClock(HOUR);
    expect(lot().priceNow(inArea2.orderId).payCharge).toBe('2.00');
  });

  it('a pass that runs out during the stay: the time after its last day is paid', async () => {
    // T0 is 2026-01-15 10:00 China time; the pass ends with 2026-01-15.
    await white('京M00003', { end: '2026-01-15' });
    const { orderId } = await lot().arrive({ lane: '1', plate: '京M00003' });
    await sb.advanceClock(14 * HOUR + 90 * MIN); // 2026-01-16 01:30: 1 h 30 min after the pass
    expect(lot().priceNow(orderId)).toMatchObject({ charge: '4.00', payCharge: '4.00' });
  });

  it('a pass bought during the stay covers from when the lot has it, not before', async () => {
    const { orderId } = await lot().arrive({ lane: '1', plate: '京M00004' });
    await sb.advanceClock(2 * HOUR);
    await white('京M00004', { start: '2026-01-15' });
    await sb.advanceClock(5 * HOUR);
    // The two hours before the pass are owed, the five after are not.
    expect(lot().priceNow(orderId)).toMatchObject({ charge: '4.00', payCharge: '4.00' });
  });
});

describe('a paid car that overstays', () => {
  it('owes the difference once the free time after paying is over', async () => {
    answer({});
    const { orderId } = await lot().arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(75 * MIN);
    // The driver pays 4.00 (2 started hours) online; the lot records it.
    const quote = lot().state.quote(lot().state.cars.get(orderId)!, '0', 0, '4.4').quote;
    lot().state.recordOnlinePayment({ payNo: 'PP1', orderId, outTradeNo: quote.outTradeNo, plate: '京A12345', fen: 400, quotedFen: 400, payTime: '', payKind: '微信', payChannel: '小程序', via: '4.5' });
    await sb.advanceClock(10 * MIN); // within the 15 minutes to leave
    expect(lot().priceNow(orderId).payCharge).toBe('0.00');
    await sb.advanceClock(50 * MIN); // 2 h 15 min in: 3 started hours = 6.00, 4.00 paid
    expect(lot().priceNow(orderId)).toMatchObject({ charge: '6.00', paidTotal: '4.00', payCharge: '2.00' });
    // At the exit the lot asks for the difference.
    answer({ [W_OR_QR]: () => ok({ qrCode: 'weixin://wxpay/bizpayurl?pr=diff001' }) });
    await expect(lot().leave({ lane: '2', orderId })).rejects.toMatchObject({ code: 'unpaid', details: { payCharge: '2.00' } });
    expect(receiver.on(W_OR_QR)[0]!.body).toMatchObject({ payCharge: '2.00' });
  });
});

describe('the call log', () => {
  it('keeps each up call (lot → ParkPay) with its outcome and time taken', async () => {
    answer({ [W_OR_QR]: () => fail('in_progress: ask again') });
    const { orderId } = await lot().arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(HOUR);
    await expect(lot().leave({ lane: '2', orderId })).rejects.toMatchObject({ code: 'unpaid' });
    const calls = sb.calls.since(0);
    expect(calls.map((c) => [c.direction, c.section, c.title, c.outcome])).toEqual([
      ['up', '4.2', '入场记录', 'success'],
      ['up', '4.16', '代扣或支付二维码', 'fail'],
    ]);
    expect(calls[1]!.detail).toBe('京A12345 ¥2.00 · in_progress: ask again');
    expect(calls.every((c) => c.ms >= 0 && c.seq > 0)).toBe(true);
    expect(sb.calls.since(calls[0]!.seq)).toEqual([calls[1]]);
  });

  it('keeps down calls (ParkPay → lot) too, with the time the lot took (a slow lot) and the faults it met', async () => {
    const { orderId } = await lot().arrive({ lane: '1', plate: '京A12345' });
    sb.faults.conditions.slowMs = 300;
    const answered = await down(sb, 'getChargebf', { parkNumber: PN, orderId, plate: '京A12345', wxOpenId: '', ticketCode: '', couponTime: '0' });
    expect(answered.status).toBe('success');
    sb.faults.conditions.slowMs = 0;
    sb.faults.add({ kind: 'http500', count: 1 });
    expect((await down(sb, 'getChargebf', { parkNumber: PN, orderId, plate: '京A12345', wxOpenId: '', ticketCode: '', couponTime: '0' })).httpStatus).toBe(500);
    const downs = sb.calls.since(0).filter((c) => c.direction === 'down');
    expect(downs.map((c) => [c.section, c.name, c.title, c.outcome, c.httpStatus])).toEqual([
      ['4.4', 'getChargebf', '查询停车费', 'success', 200],
      ['4.4', 'getChargebf', '查询停车费', 'fault', 500],
    ]);
    expect(downs[0]!.ms).toBeGreaterThanOrEqual(300);
    expect(downs[0]!.detail).toBe(`京A12345 #${orderId}`);
  });
});

describe('the lot offline (a condition that lasts until lifted)', () => {
  it('down calls find nobody; up calls never leave and wait in the outbox; back online they are delivered', async () => {
    sb.faults.conditions.offline = true;
    const { orderId } = await lot().arrive({ lane: '1', plate: '京A12345' });
    expect(receiver.calls).toEqual([]);
    await expect(down(sb, 'getChargebf', { parkNumber: PN, orderId, plate: '京A12345', wxOpenId: '', ticketCode: '', couponTime: '0' })).rejects.toThrow();
    expect(sb.outbox.pending(PN).map((i) => i.kind)).toEqual(['entry']);
    expect(sb.calls.since(0).map((c) => [c.direction, c.section, c.outcome])).toEqual([
      ...Array.from({ length: 3 }, () => ['up', '4.2', 'error']),
      ['down', '4.4', 'fault'],
    ]);
    sb.faults.conditions.offline = false;
    await sb.flushOutbox();
    expect(receiver.on('/bluecard/v2/in-records')).toHaveLength(1);
    expect(sb.outbox.pending(PN)).toEqual([]);
    // Cleared with the other faults.
    sb.faults.conditions.offline = true;
    sb.faults.conditions.slowMs = 10;
    sb.faults.clear();
    expect(sb.faults.conditions).toEqual({ offline: false, slowMs: 0 });
  });
});

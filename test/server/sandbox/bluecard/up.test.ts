/**
 * What the sandbox lot sends ParkPay (a real HTTP receiver plays ParkPay): signed bodies that parse with
 * the tolerant request schemas, the resend schedule on the sandbox clock, the heartbeat, the lane
 * interactions that wait for ParkPay's answer, and the control API.
 */
import { bluecardInterfaces, commonUpRequest } from '../../../../shared/bluecard';
import { ScaledClock } from '../../../../server/src/core/clock';
import { startBluecardSandbox, demoParks, type BluecardSandbox } from '../../../../server/sandbox/bluecard';
import type { ManualClock } from '../../../../server/src/core/clock';
import { formatChinaTime } from '../../../../shared/time';
import { waitUntil } from '../../../support/eventually';
import { HOUR, KEY, MIN, PN, Receiver, type Received, T0, control, signOf, startTestSandbox } from './support';

let receiver: Receiver;
let sb: BluecardSandbox;
let clock: ManualClock;
let errors: unknown[];

const ok = () => ({ body: { status: 'success', datas: { timeStamp: String(Date.now()) } } });
const IN = '/bluecard/v2/in-records';
const OUT = '/bluecard/v2/out-records';

beforeEach(async () => {
  receiver = await new Receiver().start();
  ({ sb, clock, errors } = await startTestSandbox(receiver));
});

afterEach(async () => {
  await sb.stop();
  await receiver.stop();
  expect(errors).toEqual([]);
});

/** Every call is signed for its park and parses with the tolerant request schema ParkPay will use. */
function expectWellFormed(call: Received, section: keyof typeof bluecardInterfaces) {
  expect(call.sign).toBe(signOf(KEY, PN));
  expect(call.contentType).toMatch(/^application\/json/);
  const parsed = bluecardInterfaces[section].request.safeParse(call.body);
  expect(parsed.success ? 'ok' : JSON.stringify(parsed.error.issues)).toBe('ok');
}

describe('records the lot sends', () => {
  it('4.2 on arrival and 4.3 on departure, signed and well formed', async () => {
    const a = await sb.park(PN).arrive({ lane: '1', plate: '京 A12345', plateColor: '蓝牌' });
    const ins = receiver.on(IN);
    expect(ins).toHaveLength(1);
    expectWellFormed(ins[0], '4.2');
    expect(ins[0].body).toMatchObject({ parkNumber: PN, size: 1 });
    expect((ins[0].body.datas as unknown[])[0]).toMatchObject({
      plate: '京 A12345',
      orderId: a.orderId,
      inTime: '2026-01-15 10:00:00',
      inChannel: '东门入口',
      carType: '临时车',
      ticketCode: '',
      placeInfo: [{ areaName: '地面', placeNumber: 'A001', memo: 'currentArea' }],
    });
    expect(a.entryDelivery).toMatchObject({ status: 'delivered', attempts: 1 });

    await sb.advanceClock(20 * MIN);
    const left = await sb.park(PN).leave({ lane: '2', orderId: a.orderId, force: true });
    const outs = receiver.on(OUT);
    expect(outs).toHaveLength(1);
    expectWellFormed(outs[0], '4.3');
    // Forced with money owed: the booth took cash (offline), so the charge still adds up.
    expect(left.record.chargeStatistics).toMatchObject({ charge: '2.00', onLineCharge: '0.00', offLineCharge: '2.00' });
    expect(left.record.chargeList).toEqual([
      expect.objectContaining({ payCharge: '2.00', payKind: '现金', payChannel: '中央收费', getTime: '2026-01-15 10:20:00' }),
    ]);
    // …and the cash payment is reported as a charge record (4.15).
    const charges = receiver.on('/bluecard/v2/charge-records');
    expect(charges).toHaveLength(1);
    expectWellFormed(charges[0], '4.15');
    expect((charges[0].body.datas as unknown[])[0]).toMatchObject({ orderId: a.orderId, realCharge: '2.00', payKind: '现金', outChannel: '东门出口' });
  });

  it('an unlicensed ticket car has plate "" and a ticketCode', async () => {
    const a = await sb.park(PN).arrive({ lane: '1', unlicensed: true });
    expect(a.plate).toBe('');
    expect(a.ticketCode).toBe(`TK${a.orderId}`);
    expect((receiver.on(IN)[0].body.datas as unknown[])[0]).toMatchObject({ plate: '', ticketCode: `TK${a.orderId}`, confidence: 0 });
  });

  it('4.21 lanes at start, 4.14 pictures, 4.31 renewals and 4.32 whitelist sync', async () => {
    await sb.stop();
    ({ sb, clock, errors } = await startTestSandbox(receiver, { announceLanesOnStart: true, manglePlusInImages: true }));
    await sb.outbox.idle();
    const lanes = receiver.on('/bluecard/v2/channels').filter((c) => c.body.parkNumber === PN);
    expect(lanes).toHaveLength(1);
    expect(receiver.on('/bluecard/v2/channels')).toHaveLength(2); // one per park
    expectWellFormed(lanes[0], '4.21');
    expect(lanes[0].body.datas).toEqual([
      { passagewayId: '1', passagewayName: '东门入口', sourceAreaId: '0', targetAreaId: '1' },
      { passagewayId: '2', passagewayName: '东门出口', sourceAreaId: '1', targetAreaId: '0' },
      { passagewayId: '3', passagewayName: '西门入口', sourceAreaId: '0', targetAreaId: '2' },
      { passagewayId: '4', passagewayName: '西门出口', sourceAreaId: '2', targetAreaId: '0' },
    ]);

    const a = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    await sb.park(PN).sendImages({ orderId: a.orderId });
    const images = receiver.on('/bluecard/v2/images');
    expect(images).toHaveLength(1);
    expectWellFormed(images[0], '4.14');
    expect(images[0].body.imageName).toBe(a.inImage);
    // Sent like the spec's HTTP stack: '+' as ' '; repaired, it is the picture.
    const b64 = String(images[0].body.image).replace(/ /g, '+');
    expect(Buffer.from(b64, 'base64').equals(sb.park(PN).state.images.get(a.inImage)!)).toBe(true);

    await sb.park(PN).sendRenewals([{ plate: '京Q1NY80/京N830S1', payCharge: '900.00', feeMonth: '3' }]);
    const common = receiver.on('/bluecard/v2');
    expect(common).toHaveLength(1);
    const renewals = commonUpRequest.safeParse(common[0].body);
    expect(renewals.success).toBe(true);
    expect(common[0].body).toMatchObject({ method: 'parkingspacefee', size: 1, datas: [{ plate: '京Q1NY80/京N830S1', payCharge: '900.00', feeMonth: '3' }] });

    const added = await control(sb, 'POST', `/parks/${PN}/white`, { entry: { plate: '京A888' + '88', name: '王会' } });
    expect(added.status).toBe(201);
    expect(added.body.item.status).toBe('delivered');
    const fixed = receiver.on('/bluecard/v2')[1];
    expect(commonUpRequest.safeParse(fixed.body).success).toBe(true);
    expect(fixed.body).toMatchObject({ method: 'fixedListUp', datas: [{ plate: '京A88888', source: '2', operate: '1', fixedId: 1 }] });
    expect((await sb.park(PN).arrive({ lane: '1', plate: '京A88888' })).carType).toBe('固定车');
  });
});

describe('resending like the lot (4.2 / 4.3)', () => {
  it('fail twice then success: exactly 3 attempts, all prompt', async () => {
    let n = 0;
    receiver.reply = (c) => (c.path === IN && ++n <= 2 ? { body: { status: 'fail', errorCode: 'busy' } } : ok());
    const a = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    expect(receiver.on(IN)).toHaveLength(3);
    expect(a.entryDelivery).toMatchObject({ status: 'delivered', attempts: 3 });
    await sb.advanceClock(30 * MIN);
    expect(receiver.on(IN)).toHaveLength(3);
  });

  it('ParkPay down: 3 prompt attempts, then one every 5 simulated minutes until it answers', async () => {
    const deadUrl = receiver.url;
    await receiver.stop();
    const a = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    const item = () => sb.outbox.list(PN).find((i) => i.kind === 'entry' && i.key === a.orderId)!;
    expect(item()).toMatchObject({ status: 'pending', attempts: 3, nextAttemptAt: T0 + 5 * MIN });
    expect(item().lastError).toMatch(/^network: /);

    await sb.advanceClock(5 * MIN - 1000);
    expect(item().attempts).toBe(3);
    await sb.advanceClock(1000);
    expect(item().attempts).toBe(4);
    await sb.advanceClock(12 * MIN);
    expect(item().attempts).toBe(6);
    expect(item().log.map((l) => (l.at - T0) / MIN)).toEqual([0, 0, 0, 5, 10, 15]);

    // ParkPay comes back (on another port here): the next scheduled attempt delivers.
    receiver = await new Receiver().start();
    await sb.setParkPayBaseUrl(receiver.url);
    expect(item()).toMatchObject({ status: 'delivered', attempts: 7 });
    expect(receiver.on(IN)).toHaveLength(1);
    expect(deadUrl).not.toBe(receiver.url);
  });

  it('HTTP 500 and an unparsable answer are not acknowledgements; an entry record stops once its car has left', async () => {
    receiver.reply = (c) => (c.path === IN ? (receiver.on(IN).length % 2 ? { status: 500, raw: 'oops' } : { raw: '<html>' }) : ok());
    const a = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    const item = () => sb.outbox.list(PN).find((i) => i.kind === 'entry')!;
    expect(item().attempts).toBe(3);
    expect(item().log.map((l) => l.error)).toEqual([expect.stringMatching(/HTTP 500/), expect.stringMatching(/not JSON/), expect.stringMatching(/HTTP 500/)]);
    await sb.advanceClock(5 * MIN);
    expect(item().attempts).toBe(4);
    await sb.park(PN).leave({ lane: '2', orderId: a.orderId });
    expect(item()).toMatchObject({ status: 'dropped', droppedReason: 'car left' });
    await sb.advanceClock(30 * MIN);
    expect(receiver.on(IN)).toHaveLength(4);
    expect(receiver.on(OUT)).toHaveLength(1);
  });

  it('exit records wait together and go 1–10 a call, newest exit first', async () => {
    const park = sb.park(PN);
    const cars = [];
    for (const plate of ['京A00001', '京A00002', '京A00003']) cars.push(await park.arrive({ lane: '1', plate }));
    receiver.reply = (c) => (c.path === OUT ? 'hangup' : ok());
    for (const c of cars) {
      await sb.advanceClock(MIN);
      await park.leave({ lane: '2', orderId: c.orderId });
    }
    // Each exit was tried alone (3 prompt attempts), the later ones batched with what still waited.
    expect(sb.outbox.pending(PN).filter((i) => i.kind === 'exit')).toHaveLength(3);
    receiver.reply = ok;
    await control(sb, 'POST', '/outbox/flush', {});
    const last = receiver.on(OUT).at(-1)!;
    expect(last.body.size).toBe(3);
    expect((last.body.datas as { orderId: string }[]).map((d) => d.orderId)).toEqual(cars.map((c) => c.orderId).reverse());
    expectWellFormed(last, '4.3');
    expect(sb.outbox.pending(PN)).toEqual([]);
  });
});

describe('heartbeat (4.1)', () => {
  it('counts spaces per area from the state', async () => {
    await sb.park(PN).arrive({ lane: '3', plate: '京A00001' });
    const [result] = await sb.heartbeatNow(PN);
    expect(result.acknowledged).toBe(true);
    const hb = receiver.on('/bluecard/v2/heartbeat');
    expect(hb).toHaveLength(1);
    expectWellFormed(hb[0], '4.1');
    expect(hb[0].body).toEqual({
      parkNumber: PN,
      parkName: '测试停车场',
      spaceCount: 52,
      freeSpaceCount: 51,
      bookSpaceCount: 6,
      bookInParkCount: 0,
      areaList: [
        { areaName: '地面', spaceCount: 50, lastSpaceCount: 50, bookSpaceCount: 5, bookInParkCount: 0, areaId: 1 },
        { areaName: '地下', spaceCount: 2, lastSpaceCount: 1, bookSpaceCount: 1, bookInParkCount: 0, areaId: 2 },
      ],
    });
  });

  it('beats on its own every heartbeatMs until stopped', async () => {
    await sb.stop();
    ({ sb, clock, errors } = await startTestSandbox(receiver, { heartbeatMs: 40 }));
    // Beats the lot starts (one still on its way when the sandbox stops may land after).
    const lot = sb.park(PN);
    const beat = lot.heartbeat.bind(lot);
    let started = 0;
    lot.heartbeat = () => {
      started++;
      return beat();
    };
    await waitUntil(() => receiver.on('/bluecard/v2/heartbeat').length >= 2 && started >= 1, 'beats on their own');
    await sb.stop();
    const n = started;
    // Nothing can be awaited for "no more beats": three intervals pass without one.
    await new Promise((r) => setTimeout(r, 120));
    expect(started).toBe(n);
  });
});

describe('lane interactions that wait for ParkPay', () => {
  it('4.28 opengate: fail refuses the entry, success admits even a blacklisted car', async () => {
    receiver.reply = (c) => (c.path === '/bluecard/v2' ? { body: { status: 'fail', errorCode: '黑名单车辆,禁止开闸!' } } : ok());
    const refused = await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京A12345', askParkPay: true });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'refused_by_parkpay' });
    const ask = receiver.on('/bluecard/v2')[0];
    expect(commonUpRequest.safeParse(ask.body).success).toBe(true);
    expect(ask.body).toMatchObject({ method: 'opengate', plate: '京A12345', inOutType: 1, passageway: '东门入口', area: '地面', doTime: '2026-01-15 10:00:00' });

    sb.park(PN).state.black.set('京B00001', { plate: '京B00001', memo: '', source: '线上', updatedAt: T0 });
    receiver.reply = (c) => (c.path === '/bluecard/v2' ? { body: { status: 'success', errorCode: 'VIP' } } : ok());
    expect((await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京B00001', askParkPay: true })).status).toBe(201);
    receiver.reply = (c) => (c.path === '/bluecard/v2' ? { body: { status: 'self', errorCode: '临时车' } } : ok());
    expect((await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京B00001', askParkPay: true, force: false })).body.error.code).toBe('already_in_park');
    const asked = await control(sb, 'POST', `/parks/${PN}/send/opengate`, { lane: '2', plate: '京B00001' });
    expect(asked.body.result).toMatchObject({ status: 'self', errorCode: '临时车', acknowledged: false });
  });

  it('4.16 withholding: the agreement pays, the barrier opens, 4.3 lists the payment', async () => {
    const { orderId } = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(61 * MIN);
    receiver.reply = (c) =>
      c.path === '/bluecard/v2/withhold-or-qrcode'
        ? { body: { status: 'success', datas: { timeStamp: '1', agreement: { outTradeNo: String(c.body.outTradeNo), payType: '微信', totalFee: String(c.body.payCharge), tradeNo: 'WX-777', userId: '' } } } }
        : ok();
    const r = await control(sb, 'POST', `/parks/${PN}/send/withhold-or-qr`, { lane: '2', orderId });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ left: true, owed: '0.00', outTradeNo: `${PN}_2_${orderId}_110100`, payment: { payNo: 'WX-777', fen: 400, payChannel: '无感付' } });
    const req = receiver.on('/bluecard/v2/withhold-or-qrcode')[0];
    expectWellFormed(req, '4.16');
    expect(req.body).toMatchObject({ payCharge: '4.00', plate: '京A12345' });
    const out = receiver.on(OUT)[0];
    expect((out.body.datas as { chargeList: unknown[] }[])[0].chargeList).toEqual([
      { payNo: 'WX-777', getTime: '2026-01-15 11:01:00', payCharge: '4.00', payKind: '微信', payChannel: '无感付', memo: '' },
    ]);
  });

  it('4.24 USERPAYING: the lot polls 4.25 every second until paid', async () => {
    const { orderId } = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(61 * MIN);
    let polls = 0;
    receiver.reply = (c) => {
      if (c.path === '/bluecard/v2/face-pay') return { body: { status: 'fail', errorCode: 'USERPAYING' } };
      if (c.path === '/bluecard/v2/face-pay-query') {
        polls += 1;
        if (polls < 3) return { body: { status: 'fail', errorCode: 'USERPAYING' } };
        return {
          body: {
            status: 'success',
            datas: { tradeNo: 'F2F-1', outTradeNo: String(c.body.outTradeNo), payCharge: '4.00', payTime: formatChinaTime(clock.now()), userId: '', payType: '第三方当面付' },
          },
        };
      }
      return ok();
    };
    const r = await sb.park(PN).faceToFacePay({ lane: '2', orderId, authCode: '134567890123456789' });
    expect(r).toMatchObject({ left: false, owed: '4.00' });
    expectWellFormed(receiver.on('/bluecard/v2/face-pay')[0], '4.24');
    await sb.advanceClock(10_000);
    expect(polls).toBe(3);
    expectWellFormed(receiver.on('/bluecard/v2/face-pay-query')[0], '4.25');
    expect(sb.park(PN).state.cars.get(orderId)!.outTime).toBe(T0 + 61 * MIN + 3000);
    expect(receiver.on('/bluecard/v2/face-pay-cancel')).toHaveLength(0);
  });

  it('4.24 never paid: polls for 5 minutes, then cancels (4.26)', async () => {
    const { orderId } = await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    await sb.advanceClock(61 * MIN);
    receiver.reply = (c) => (c.path.startsWith('/bluecard/v2/face-pay') && !c.path.endsWith('cancel') ? { body: { status: 'fail', errorCode: 'USERPAYING' } } : ok());
    await sb.park(PN).faceToFacePay({ lane: '2', orderId, authCode: '134567890123456789' });
    await sb.advanceClock(6 * MIN);
    expect(receiver.on('/bluecard/v2/face-pay-query')).toHaveLength(300);
    expect(receiver.on('/bluecard/v2/face-pay-cancel')).toHaveLength(1);
    expectWellFormed(receiver.on('/bluecard/v2/face-pay-cancel')[0], '4.26');
    expect(sb.park(PN).state.cars.get(orderId)!.outTime).toBeUndefined();
  });

  it('4.27 channel pay (plateID URL-encoded), 4.13 pre-exit pricing and 4.17 QR result return ParkPay\'s answer', async () => {
    const park = sb.park(PN);
    const a = await park.arrive({ lane: '1', plate: '京A12345' });
    const b = await park.arrive({ lane: '1', plate: '京B54321' });
    await sb.advanceClock(61 * MIN);
    const channel = await park.channelPay({ lane: '2', orderId: a.orderId });
    expect(channel).toMatchObject({ left: true, result: { acknowledged: true } });
    const cp = receiver.on('/bluecard/v2/channel-pay')[0];
    expectWellFormed(cp, '4.27');
    expect(cp.body.plateID).toBe(encodeURIComponent('京A12345'));

    receiver.reply = (c) =>
      c.path === '/bluecard/v2/pre-exit-charge'
        ? { body: { status: 'success', datas: { payCharge: '4.00', realCharge: '0', payKind: '', timeStamp: '1', chargeList: [] } } }
        : ok();
    const pre = await park.preExitPricing({ lane: '2', orderId: b.orderId });
    expect(pre).toMatchObject({ left: false, owed: '4.00', result: { acknowledged: true } });
    expectWellFormed(receiver.on('/bluecard/v2/pre-exit-charge')[0], '4.13');

    receiver.reply = (c) => (c.path === '/bluecard/v2/qrcode-pay-result' ? { body: { status: 'fail', errorCode: 'NOTPAY' } } : ok());
    const qr = await control(sb, 'POST', `/parks/${PN}/send/qr-pay-result`, { outTradeNo: pre.outTradeNo });
    expect(qr.body).toMatchObject({ left: false, result: { acknowledged: false, status: 'fail', errorCode: 'NOTPAY' } });
    expectWellFormed(receiver.on('/bluecard/v2/qrcode-pay-result')[0], '4.17');
  });
});

describe('control API', () => {
  it('clock: set (China time), advance, read; reset empties the park and keeps orderIds going', async () => {
    let c = await control(sb, 'POST', '/clock', { set: '2026-01-15 12:00:00' });
    expect(c.body).toMatchObject({ nowChina: '2026-01-15 12:00:00', settable: true });
    c = await control(sb, 'POST', '/clock', { advanceMinutes: 90 });
    expect(c.body.nowChina).toBe('2026-01-15 13:30:00');
    expect((await control(sb, 'POST', '/clock', { speed: 60 })).body.error.code).toBe('clock_has_no_speed');
    expect((await control(sb, 'POST', '/clock', { advanceMinutes: -1 })).status).toBe(400);

    const a = await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '东门入口', plate: '京A12345' });
    expect(a.body).toMatchObject({ orderId: '1001', carType: '临时车', inTime: '2026-01-15 13:30:00' });
    expect((await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京A12345' })).body.error.code).toBe('already_in_park');
    expect((await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '2', plate: '京A99999' })).body.error.code).toBe('not_an_entry_lane');
    expect((await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京A99999', bogus: 1 })).status).toBe(400);
    expect((await control(sb, 'GET', '/parks/p_nope')).status).toBe(404);

    await control(sb, 'POST', '/clock', { advanceMinutes: 61 });
    const price = await control(sb, 'GET', `/parks/${PN}/cars/1001/price`);
    expect(price.body).toMatchObject({ charge: '4.00', payCharge: '4.00', stopTimeTotal: 61 });

    const dump = (await control(sb, 'GET', `/parks/${PN}`)).body;
    expect(dump.cars).toHaveLength(1);
    expect(dump.cars[0]).toMatchObject({ orderId: '1001', owedNow: '4.00', spaceId: 'A001' });
    expect(dump.outbox[0]).toMatchObject({ kind: 'entry', status: 'delivered', attempts: 1 });
    expect(dump.counts.freeSpaceCount).toBe(51);

    expect((await control(sb, 'POST', '/reset')).status).toBe(200);
    const after = (await control(sb, 'GET', `/parks/${PN}`)).body;
    expect(after.cars).toEqual([]);
    expect(after.outbox).toEqual([]);
    expect((await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京A12345' })).body.orderId).toBe('1002');
  });

  it('departure by plate, unpaid refusal, forced with cash or waived; heartbeat and flush endpoints', async () => {
    await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京A12345' });
    await control(sb, 'POST', `/parks/${PN}/arrivals`, { lane: '1', plate: '京B12345' });
    await control(sb, 'POST', '/clock', { advanceMinutes: 61 });
    const unpaid = await control(sb, 'POST', `/parks/${PN}/departures`, { lane: '2', plate: '京 a12345' });
    expect(unpaid).toMatchObject({ status: 409, body: { error: { code: 'unpaid', payCharge: '4.00', charge: '4.00' } } });
    const waived = await control(sb, 'POST', `/parks/${PN}/departures`, { lane: '2', plate: '京A12345', force: true, settle: 'waive' });
    expect(waived.status).toBe(200);
    expect(waived.body.record.chargeStatistics).toMatchObject({ charge: '4.00', onLineCharge: '0.00', offLineCharge: '0.00' });
    expect(waived.body.record.passInfo.openGateMode).toBe('手动放行');
    expect(waived.body.exitDelivery).toMatchObject({ status: 'delivered' });
    const cash = await control(sb, 'POST', `/parks/${PN}/departures`, { lane: '2', plate: '京B12345', force: true });
    expect(cash.body.record.chargeStatistics).toMatchObject({ charge: '4.00', offLineCharge: '4.00' });
    expect((await control(sb, 'POST', `/parks/${PN}/departures`, { lane: '2', plate: '京B12345' })).body.error.code).toBe('not_in_park');

    expect((await control(sb, 'POST', `/parks/${PN}/heartbeat`)).body.result.acknowledged).toBe(true);
    expect((await control(sb, 'POST', '/heartbeat')).body.results).toHaveLength(2);
    expect((await control(sb, 'POST', '/outbox/flush', {})).status).toBe(200);
    expect((await control(sb, 'GET', '/outbox')).body.outbox.every((i: { status: string }) => i.status === 'delivered')).toBe(true);
    expect((await control(sb, 'GET', '/')).body.parks.map((p: { parkNumber: string }) => p.parkNumber)).toEqual([PN, 'p_test_002']);
  });

  it('faults over the control API; a bad fault is a 400', async () => {
    expect((await control(sb, 'POST', '/faults', { kind: 'explode', count: 1 })).status).toBe(400);
    expect((await control(sb, 'POST', '/faults', { kind: 'fail', count: 2, errorCode: '网络异常!' })).status).toBe(201);
    expect((await control(sb, 'GET', '/faults')).body.faults[0]).toMatchObject({ kind: 'fail', remaining: 2, phase: 'before' });
    expect((await control(sb, 'DELETE', '/faults')).body.faults).toEqual([]);
  });

  it('points the lot at ParkPay later: what waited is delivered', async () => {
    await sb.setParkPayBaseUrl(undefined);
    await sb.park(PN).arrive({ lane: '1', plate: '京A12345' });
    const item = sb.outbox.list(PN)[0];
    expect(item).toMatchObject({ status: 'pending', attempts: 0, lastError: 'ParkPay base URL not configured' });
    expect((await control(sb, 'POST', '/parkpay', { baseUrl: receiver.url })).body.parkPayBaseUrl).toBe(receiver.url);
    expect(item).toMatchObject({ status: 'delivered', attempts: 1 });
  });
});

describe('demo park on a compressed real-time clock', () => {
  it('starts from demoParks(), announces its lanes, and resends on the scaled clock', async () => {
    const demoReceiver = await new Receiver().start();
    const scaled = new ScaledClock(T0, 600); // a real second is 10 simulated minutes
    const demo = await startBluecardSandbox({ parks: demoParks(), parkPayBaseUrl: demoReceiver.url, clock: scaled, heartbeatMs: 0 });
    try {
      const [park] = demo.parks();
      expect(park.definition).toMatchObject({ parkNumber: 'p_demo_001', name: '示例停车场' });
      expect(park.state.lanes.map((l) => `${l.name}:${l.direction}`)).toEqual(['东门入口:in', '东门出口:out', '西门入口:in', '西门出口:out']);
      expect(new Set(park.state.spaces.map((s) => s.layerId)).size).toBe(2);
      await demo.outbox.idle();
      expect(demoReceiver.on('/bluecard/v2/channels')).toHaveLength(1);

      demoReceiver.reply = (c) => (c.path === IN && demoReceiver.on(IN).length <= 3 ? { status: 503, raw: '' } : ok());
      const a = await park.arrive({ lane: '1', plate: '京A12345' });
      expect(a.entryDelivery).toMatchObject({ status: 'pending', attempts: 3 });
      // 5 simulated minutes = 0.5 real seconds; the polling scheduler delivers it.
      await waitUntil(() => demo.outbox.list(park.parkNumber).find((i) => i.kind === 'entry')?.status === 'delivered', 'the resend 5 minutes later');
      expect(demo.outbox.list(park.parkNumber).find((i) => i.kind === 'entry')).toMatchObject({ status: 'delivered', attempts: 4 });
      expect((await control(demo, 'POST', '/clock', { speed: 60 })).body.speed).toBe(60);
      expect(scaled.now()).toBeGreaterThan(T0 + 5 * MIN);
      expect(HOUR).toBe(60 * MIN);
    } finally {
      await demo.stop();
      await demoReceiver.stop();
    }
  });
});

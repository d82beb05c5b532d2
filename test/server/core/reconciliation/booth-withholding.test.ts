/**
 * The daily reconciliation counts the booth's face-to-face payments (4.24, through the WeChat Pay sandbox's
 * micropay) and withholding deductions (4.27, from a plate's agreement) as ParkPay's, on the real database:
 * the Bluecard sandbox lot asks ParkPay over HTTP, records what the answers say, and reports the payments in
 * its exit records (4.3). A difference planted at the lot on a booth payment and on a deduction is found;
 * the takings chart puts them in their channel.
 */
import { WechatFaceToFaceGateway } from '../../../../server/src/adapter/payments/face-to-face';
import { WechatMicropayClient } from '../../../../server/src/adapter/wechatpay/micropay';
import { AgreementService } from '../../../../server/src/core/agreements/service';
import { systemClock } from '../../../../server/src/core/clock';
import { ChannelPayService } from '../../../../server/src/core/lanepay/channel-pay';
import { LaneDeductionService } from '../../../../server/src/core/lanepay/lane-deductions';
import { deductionId } from '../../../../server/src/core/lanepay/channel-pay-model';
import { faceId, FaceToFaceService } from '../../../../server/src/core/lanepay/face-to-face';
import { ReconciliationService } from '../../../../server/src/core/reconciliation/daily';
import type { UpHandler } from '../../../../server/src/port/bluecard/inbound';
import { laneAgreementHandlers } from '../../../../server/src/port/bluecard/lanepay-agreements';
import { faceToFaceHandlers } from '../../../../server/src/port/bluecard/lanepay-face';
import { MongoLaneDeductionRepository } from '../../../../server/src/repository/agreement-deductions';
import { MongoAgreementRepository } from '../../../../server/src/repository/agreements';
import { MongoAgreementSpendRepository } from '../../../../server/src/repository/agreement-spend';
import { BluecardClient } from '../../../../server/src/adapter/bluecard';
import { BluecardLotGateway } from '../../../../server/src/adapter/bluecard/lot-gateway';
import { DeductionGuard } from '../../../../server/src/core/lanepay/deduction-trust';
import { MongoDriverRepository } from '../../../../server/src/repository/drivers';
import { MongoFacePaymentRepository } from '../../../../server/src/repository/face-payments';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { MongoReconciliationSources } from '../../../../server/src/repository/reconciliation';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { formatChinaDate } from '../../../../shared/time';
import { clearOfMidnight } from '../../../support/china-day';
import { startPaymentWorld, type PaymentWorld } from '../../../support/payment-world';
import { FakeWithholding } from '../agreements/fake-withholding';

/** How long a test may take. */
const TEST_MS = 60_000;
jest.setTimeout(TEST_MS);

const P = DEMO_PARK_NUMBER;
const MIN = 60_000;
let w: PaymentWorld;
let recon: ReconciliationService;
let faceRepo: MongoFacePaymentRepository;
let deductionRepo: MongoLaneDeductionRepository;
let agreements: AgreementService;
let drivers: MongoDriverRepository;
const withholding = new FakeWithholding('wechat');
/** The lane handlers, made once the world's database is there. */
let handlers: Partial<Record<'4.24' | '4.25' | '4.26' | '4.27', UpHandler>> = {};
const lazy = (s: keyof typeof handlers): UpHandler => (args) => handlers[s]!(args);

beforeAll(async () => {
  // Paid cars wait at the exit lane until they leave, so the lot's record of a payment can be changed first.
  w = await startPaymentWorld('reconbooth', { autoExitOnPayment: false, lanePay: () => ({ '4.24': lazy('4.24'), '4.25': lazy('4.25'), '4.26': lazy('4.26'), '4.27': lazy('4.27') }) });
  w.lotClock.set(Date.now());
  faceRepo = new MongoFacePaymentRepository(w.db.connection);
  deductionRepo = new MongoLaneDeductionRepository(w.db.connection);
  const agreementRepo = new MongoAgreementRepository(w.db.connection);
  drivers = new MongoDriverRepository(w.db.connection);
  await Promise.all([faceRepo.init(), deductionRepo.init(), agreementRepo.init(), drivers.init()]);
  const face = new FaceToFaceService({
    payments: faceRepo,
    gateways: { wechat: new WechatFaceToFaceGateway(new WechatMicropayClient({ config: w.wechat.merchant, timeoutMs: 2_000 })) },
    clock: systemClock,
  });
  agreements = new AgreementService({ agreements: agreementRepo, drivers, gateways: { wechat: withholding }, clock: systemClock });
  const spend = new MongoAgreementSpendRepository(w.db.connection);
  await spend.init();
  // The lot's own 4.4 confirms each deduction's price, as in production.
  const trust = new DeductionGuard({ stays: w.stays, lot: new BluecardLotGateway(new BluecardClient({ backoffMs: [], timeoutMs: 2_000 })) });
  const deductions = new LaneDeductionService({ deductions: deductionRepo, agreements, stays: w.stays, trust, spend, clock: systemClock });
  const channelPay = new ChannelPayService({ deductions, orders: w.orderRepo, orderService: w.orders });
  handlers = {
    ...faceToFaceHandlers(face, systemClock),
    '4.27': laneAgreementHandlers({ laneQr: undefined as never, channelPay, clock: systemClock })['4.27'],
  };
  recon = new ReconciliationService({ sources: new MongoReconciliationSources(w.db.connection), parks: new MongoParkDirectory(w.db.connection, 0), clock: systemClock });
});
afterAll(async () => {
  await w?.close();
});
// A test's payments all fall on the China day it reconciles, whatever the hour it runs at.
beforeAll(() => clearOfMidnight(TEST_MS), clearOfMidnight.hookMs(TEST_MS));

const lot = () => w.bluecard.park(P);

/** A car that came in `minutes` ago (lot time = real time), now at the exit lane. */
async function carIn(plate: string, minutes: number): Promise<string> {
  w.lotClock.set(Date.now() - minutes * MIN);
  const { orderId } = await lot().arrive({ lane: '东门入口', plate, wait: true });
  w.lotClock.set(Date.now());
  return orderId;
}

/** The booth scans a WeChat payment code (4.24): our payment number as the lot recorded it. */
async function atBooth(orderId: string): Promise<string> {
  const r = await lot().faceToFacePay({ lane: '东门出口', orderId, authCode: w.wechat.micropay.issueCode().code });
  expect(r.result).toMatchObject({ acknowledged: true });
  const p = (await faceRepo.get(faceId(P, r.outTradeNo!)))!;
  expect(p).toMatchObject({ status: 'paid', paymentNo: r.payment!.payNo });
  return p.paymentNo;
}

let n = 0;
/** The plate's driver signs a withholding agreement. */
async function signed(plate: string): Promise<void> {
  const id = `drv_recon_${++n}`;
  await drivers.findOrCreate({ provider: 'wechat', wechatOpenId: `oRecon${n}` }, { id, createdAt: new Date() });
  await drivers.addPlate(id, { plate, plateKey: plate, boundAt: new Date() }, 5);
  const { agreement } = await agreements.startSignup(id, plate, 'wechat');
  withholding.sign(agreement.signNo);
  await agreements.confirm(id, agreement.id);
}

/** The driver pays in Bluecard's page with ParkPay (4.27): our deduction's number and the lot's payNo. */
async function channelPay(orderId: string): Promise<{ tradeNo: string; payNo: string }> {
  const r = await lot().channelPay({ lane: '东门出口', orderId });
  expect(r.result).toMatchObject({ acknowledged: true });
  const d = (await deductionRepo.get(deductionId(P, r.outTradeNo!)))!;
  expect(d).toMatchObject({ state: 'paid', via: '4.27' });
  return { tradeNo: d.attempt!.tradeNo, payNo: r.payment!.payNo };
}

const leave = (orderId: string, o: { force?: boolean; settle?: 'cash' | 'waive' } = {}) => lot().leave({ lane: '东门出口', orderId, wait: true, ...o });

describe('booth payments and withholding deductions in the daily reconciliation', () => {
  it('are ParkPay’s payments: matched when the lot agrees, a difference planted at the lot is found, their channel in the takings', async () => {
    // Agreeing: a booth payment, and a 4.27 deduction (the lot records it under a number of its own).
    const boothOkStay = await carIn('京S10001', 75);
    const boothOk = await atBooth(boothOkStay);
    await leave(boothOkStay);
    await signed('京S10002');
    const payOkStay = await carIn('京S10002', 75);
    const payOk = await channelPay(payOkStay);
    await leave(payOkStay);
    // Planted: the lot recorded the booth payment with another amount …
    const boothBadStay = await carIn('京S10003', 75);
    const boothBad = await atBooth(boothBadStay);
    lot().state.payments.get(boothBad)!.fen = 300;
    await leave(boothBadStay, { force: true, settle: 'waive' });
    // … and the deduction with another amount.
    await signed('京S10004');
    const payBadStay = await carIn('京S10004', 75);
    const payBad = await channelPay(payBadStay);
    lot().state.payments.get(payBad.payNo)!.fen = 100;
    await leave(payBadStay, { force: true, settle: 'waive' });

    const today = formatChinaDate(Date.now());
    const report = await recon.daily(P, today);
    const row = (ref: string) => report.rows.find((r) => r.ours?.ref === ref);
    expect(row(boothOk)).toMatchObject({ status: 'matched', channel: 'wechat', ours: { kind: 'face_to_face', amountFen: 400 }, lot: { payNo: boothOk, amountFen: 400 } });
    expect(row(payOk.tradeNo)).toMatchObject({ status: 'matched', channel: 'wechat', orderId: payOkStay, ours: { kind: 'withholding', amountFen: 400 }, lot: { payNo: payOk.payNo } });
    expect(row(boothBad)).toMatchObject({ status: 'amount_differs', differenceFen: 300 - 400, lot: { payNo: boothBad } });
    expect(row(payBad.tradeNo)).toMatchObject({ status: 'amount_differs', differenceFen: 100 - 400, lot: { payNo: payBad.payNo } });
    // None of them is the lot's own takings any more.
    expect(report.rows.filter((r) => r.status === 'lot_only' && r.plate.startsWith('京S'))).toEqual([]);
    expect(report.summary.differences).toBe(2);
    expect(report.summary.counts).toMatchObject({ matched: 2, amount_differs: 2, lot_only: 0 });
    // Takings: ours, net, in their channel (not 'other', as the lot's third-party pay kinds read).
    expect(report.summary.takings.byChannel).toMatchObject({ wechat: 4 * 400, other: 0 });
    const chart = await recon.takings(P, today, today);
    expect(chart[0]!.byChannel).toEqual(report.summary.takings.byChannel);
  });
});

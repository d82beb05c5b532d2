/**
 * The lane deduction machinery (4.16's withholding and 4.27) on the real database, against a test double
 * of the WithholdingGateway interface: outcomes, and above all that one outTradeNo never takes money
 * twice — sequential repeats, concurrent repeats, lost answers, a crashed holder.
 * (Through the real sandboxes and the Bluecard port: test/server/e2e/agreements-lanes.test.ts.)
 */
import { normalizePlate } from '../../../../shared/plate';
import { formatChinaDate } from '../../../../shared/time';
import { AgreementService } from '../../../../server/src/core/agreements/service';
import { ManualClock } from '../../../../server/src/core/clock';
import { ChannelPayService } from '../../../../server/src/core/lanepay/channel-pay';
import { LaneDeductionService } from '../../../../server/src/core/lanepay/lane-deductions';
import { deductionId } from '../../../../server/src/core/lanepay/channel-pay-model';
import { DeductionGuard } from '../../../../server/src/core/lanepay/deduction-trust';
import { LotCallError } from '../../../../server/src/core/orders/gateways';
import { parseOutTradeNo } from '../../../../server/src/core/lanepay/lane-qr-trade';
import type { Park } from '../../../../server/src/core/parks';
import { MongoLaneDeductionRepository } from '../../../../server/src/repository/agreement-deductions';
import { MongoAgreementRepository } from '../../../../server/src/repository/agreements';
import { MongoAgreementSpendRepository } from '../../../../server/src/repository/agreement-spend';
import { MongoDriverRepository } from '../../../../server/src/repository/drivers';
import { MongoLotRecordsRepository } from '../../../../server/src/repository/lot-records';
import { MongoOrderRepository } from '../../../../server/src/repository/orders';
import { openTestDatabase, type TestDatabase } from '../../../support/db';
import { eventually, waitUntil, WAIT_MS } from '../../../support/eventually';
import { FakeWithholding } from '../agreements/fake-withholding';

let db: TestDatabase;
let agreementsRepo: MongoAgreementRepository;
let deductionsRepo: MongoLaneDeductionRepository;
let drivers: MongoDriverRepository;
let stays: MongoLotRecordsRepository;
let orders: MongoOrderRepository;
let spend: MongoAgreementSpendRepository;
/** The lot's 4.4 as these tests want it: every stay priced at `fen`, or refused / unreachable; calls counted. */
const lotPrice = { fen: 99_00, calls: 0, fail: undefined as undefined | 'refused' | 'unreachable' };
const clock = new ManualClock(Date.UTC(2026, 10, 28, 2, 0, 0));
let wechat: FakeWithholding;
let alipay: FakeWithholding;
let agreements: AgreementService;
const park: Park = { parkNumber: 'p_lane_001', key: 'k', bluecardBaseUrl: 'http://127.0.0.1:1', name: '测试停车场' };
const accepting: Park = { ...park, settings: { channelPayPolicy: 'accepted' } };

beforeAll(async () => {
  db = await openTestDatabase('channelpay');
  agreementsRepo = new MongoAgreementRepository(db.connection);
  deductionsRepo = new MongoLaneDeductionRepository(db.connection);
  drivers = new MongoDriverRepository(db.connection);
  stays = new MongoLotRecordsRepository(db.connection);
  orders = new MongoOrderRepository(db.connection);
  spend = new MongoAgreementSpendRepository(db.connection);
  await Promise.all([agreementsRepo.init(), deductionsRepo.init(), drivers.init(), stays.init(), orders.init(), spend.init()]);
});
afterAll(async () => {
  await db.dispose();
});
beforeEach(() => {
  wechat = new FakeWithholding('wechat');
  alipay = new FakeWithholding('alipay');
  agreements = new AgreementService({ agreements: agreementsRepo, drivers, gateways: { wechat, alipay }, clock });
});

function lanes(opts: { waitMs?: number; settleWaitMs?: number; owner?: string } = {}) {
  const deductions = new LaneDeductionService({
    deductions: deductionsRepo,
    agreements,
    stays,
    trust: new DeductionGuard({
      stays,
      lot: {
        priceStay: async () => {
          lotPrice.calls++;
          if (lotPrice.fail) throw new LotCallError(lotPrice.fail, lotPrice.fail === 'unreachable', lotPrice.fail === 'refused', lotPrice.fail === 'refused' ? '订单不存在' : undefined);
          return { outTradeNo: 'x', quote: { payFen: lotPrice.fen } as never };
        },
      },
    }),
    spend,
    clock,
    // Real-time bounds that only a failing test reaches (a repeat returns as soon as the first is decided).
    waitMs: opts.waitMs ?? WAIT_MS,
    settleWaitMs: opts.settleWaitMs ?? 300,
    pollMs: 20,
    settlePollMs: 30,
    owner: opts.owner,
  });
  const channel = new ChannelPayService({
    deductions,
    orders,
    orderService: { cancel: async () => Promise.reject(new Error('no QR orders in these tests')) },
  });
  return { deductions, channel };
}

let n = 0;
const nextTrade = () => `${park.parkNumber}_2_${1000 + ++n}_101500`;

/** A driver with the plate bound and an active agreement with `gateway`. */
async function signed(plate: string, gateway: FakeWithholding, scope?: { kind: 'park'; parkNumber: string }) {
  const id = `drv_cp_${++n}`;
  await drivers.findOrCreate({ provider: 'wechat', wechatOpenId: `oCP${n}` }, { id, createdAt: new Date(clock.now()) });
  await drivers.addPlate(id, { plate, plateKey: plate, boundAt: new Date(clock.now()) }, 5);
  const { agreement } = await agreements.startSignup(id, plate, gateway.provider, scope ? { scope } : {});
  gateway.sign(agreement.signNo);
  return agreements.confirm(id, agreement.id);
}

/** The lot's 4.2 record of the stay an outTradeNo names (the car is in the park). */
async function carIn(p: Park, plate: string, outTradeNo: string) {
  const orderId = parseOutTradeNo(outTradeNo, p.parkNumber)!.orderId;
  await stays.recordEntry({
    parkNumber: p.parkNumber, orderId, plate, plateKey: normalizePlate(plate), ticketCode: '',
    entry: { inTime: new Date(clock.now() - 3_600_000), inChannel: '东门入口', inImage: '', carType: '临时车', plateColor: '蓝牌', record: {}, receivedAt: new Date(clock.now()) },
  });
}

/** The errorCode of a refusal ('' for a success). */
const errorOf = (o: { ok: boolean; errorCode?: string }) => o.errorCode ?? '';

const pay = async (channel: ChannelPayService, p: Park, plate: string, outTradeNo: string, payCharge = '5.00') => {
  await carIn(p, plate, outTradeNo);
  return channel.pay(p, { plateID: encodeURIComponent(plate), payCharge, outTradeNo });
};

describe('4.27 outcomes', () => {
  it('secured: the money is taken → success; the record says paid with our number at the provider', async () => {
    await signed('京A00001', alipay);
    const { channel } = lanes();
    const t = nextTrade();
    expect(await pay(channel, park, '京A00001', t)).toEqual({ ok: true });
    expect(alipay.debits).toEqual([{ outTradeNo: expect.stringMatching(/^PW\d{12}[0-9A-Z]{8}$/), fen: 500 }]);
    const d = await deductionsRepo.get(deductionId(park.parkNumber, t));
    expect(d).toMatchObject({ state: 'paid', paidFen: 500, via: '4.27', plate: '京A00001', attempt: { tradeNo: alipay.debits[0]!.outTradeNo, provider: 'alipay' } });
  });

  it('no agreement, insufficient funds, refused: fail with the reason; nothing taken', async () => {
    const { channel } = lanes();
    expect(await pay(channel, park, '京A00002', nextTrade())).toEqual({ ok: false, errorCode: expect.stringMatching(/^no_agreement: 京A00002/) });
    await signed('京A00003', wechat);
    wechat.mode = 'insufficient_funds';
    expect(await pay(channel, park, '京A00003', nextTrade())).toEqual({ ok: false, errorCode: 'insufficient_funds: 余额不足' });
    wechat.mode = 'refused';
    expect(await pay(channel, park, '京A00003', nextTrade())).toEqual({ ok: false, errorCode: 'refused: 风控拒绝' });
    expect(wechat.debits).toEqual([]);
  });

  it('after insufficient funds a repeat tries again (a new provider order) and takes the money once', async () => {
    await signed('京A00004', wechat);
    const { channel } = lanes();
    const t = nextTrade();
    wechat.mode = 'insufficient_funds';
    expect((await pay(channel, park, '京A00004', t)).ok).toBe(false);
    wechat.mode = 'paid';
    expect(await pay(channel, park, '京A00004', t)).toEqual({ ok: true });
    expect(await pay(channel, park, '京A00004', t)).toEqual({ ok: true });
    expect(wechat.debits.length).toBe(1);
    expect(new Set(wechat.calls.filter((c) => c.op === 'deduct').map((c) => c.arg)).size).toBe(2);
    expect((await deductionsRepo.get(deductionId(park.parkNumber, t)))!.attempts).toBe(2);
  });

  it('payCharge 0: nothing to take, success without asking anyone', async () => {
    const { channel } = lanes();
    expect(await pay(channel, park, '京A00005', nextTrade(), '0')).toEqual({ ok: true });
  });

  it('another amount for an outTradeNo already paid: refused, nothing taken', async () => {
    await signed('京A00006', alipay);
    const { channel } = lanes();
    const t = nextTrade();
    await pay(channel, park, '京A00006', t, '5.00');
    expect(await pay(channel, park, '京A00006', t, '6.00')).toEqual({ ok: false, errorCode: expect.stringMatching(/^amount_mismatch/) });
    expect(alipay.debits.length).toBe(1);
  });
});

describe('one outTradeNo never deducts twice', () => {
  it('sequential repeats answer the first outcome without asking the provider again', async () => {
    await signed('京B00001', alipay);
    const { channel } = lanes();
    const t = nextTrade();
    for (let i = 0; i < 4; i++) expect(await pay(channel, park, '京B00001', t)).toEqual({ ok: true });
    expect(alipay.calls.filter((c) => c.op === 'deduct').length).toBe(1);
    expect(alipay.debits.length).toBe(1);
  });

  it('concurrent repeats (two processes) wait for the first and report it: one debit', async () => {
    await signed('京B00002', alipay);
    alipay.delayMs = 300;
    const a = lanes({ owner: 'process-a' });
    const b = lanes({ owner: 'process-b' });
    const t = nextTrade();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => pay((i % 2 ? a : b).channel, park, '京B00002', t)));
    expect(answers).toEqual(Array(8).fill({ ok: true }));
    expect(alipay.calls.filter((c) => c.op === 'deduct').length).toBe(1);
    expect(alipay.debits.length).toBe(1);
  });

  it('a concurrent repeat that cannot wait longer reports the first as in progress (still one debit)', async () => {
    await signed('京B00003', wechat);
    let answer!: () => void;
    wechat.gate = new Promise((r) => (answer = r));
    const slow = lanes();
    const impatient = lanes({ waitMs: 50 });
    const t = nextTrade();
    const first = pay(slow.channel, park, '京B00003', t);
    // The first holds the claim and waits for the provider for as long as this test says.
    await waitUntil(() => wechat.calls.some((c) => c.op === 'deduct'), "the first repeat's deduct call");
    expect(await pay(impatient.channel, park, '京B00003', t)).toEqual({ ok: false, errorCode: expect.stringMatching(/^in_progress/) });
    answer();
    wechat.gate = undefined;
    expect(await first).toEqual({ ok: true });
    expect(await pay(impatient.channel, park, '京B00003', t)).toEqual({ ok: true });
    expect(wechat.debits.length).toBe(1);
  });

  it('a lost answer: fail provider_unreachable; the repeat asks with the same provider number and finds it paid', async () => {
    await signed('京B00004', alipay);
    const { channel } = lanes();
    const t = nextTrade();
    alipay.loseAnswers = 1;
    expect(await pay(channel, park, '京B00004', t)).toEqual({ ok: false, errorCode: expect.stringMatching(/^provider_unreachable/) });
    expect(alipay.debits.length).toBe(1); // the provider did take it
    expect(await pay(channel, park, '京B00004', t)).toEqual({ ok: true });
    const deducts = alipay.calls.filter((c) => c.op === 'deduct').map((c) => c.arg);
    expect(deducts.length).toBe(2);
    expect(deducts[0]).toBe(deducts[1]);
    expect(alipay.debits.length).toBe(1);
  });

  it('a holder that crashed mid-call: after its lease the repeat takes over with the same provider number', async () => {
    const r = await signed('京B00005', alipay);
    const t = nextTrade();
    // Process A claimed, asked the provider (which took the money), and died before writing the answer.
    await alipay.deduct({ outTradeNo: 'PWCRASHED0001', agreement: { signNo: r.signNo, plate: r.plate, payer: r.payer }, amountFen: 500, parkNumber: park.parkNumber, parkName: '', enteredAt: new Date(), leftAt: new Date(), description: '' });
    const now = new Date(clock.now());
    await deductionsRepo.insert({
      id: deductionId(park.parkNumber, t), parkNumber: park.parkNumber, outTradeNo: t, plate: '京B00005', plateKey: '京B00005', amountFen: 500, via: '4.27',
      state: 'deducting', attempts: 1, owner: 'dead-process', leaseUntil: new Date(now.getTime() + 30_000),
      attempt: { tradeNo: 'PWCRASHED0001', agreementId: r.id, provider: 'alipay', driverId: r.driverId }, createdAt: now, updatedAt: now,
    });
    const { channel } = lanes({ waitMs: 100 });
    expect(await pay(channel, park, '京B00005', t)).toEqual({ ok: false, errorCode: expect.stringMatching(/^in_progress/) });
    clock.advance(31_000);
    expect(await pay(channel, park, '京B00005', t)).toEqual({ ok: true });
    expect(alipay.debits).toEqual([{ outTradeNo: 'PWCRASHED0001', fen: 500 }]);
  });
});

describe('accepted deductions (WeChat parking service debits later)', () => {
  /** Our provider number for the lane's deduction, once the provider has accepted it (the lane's answer still waits). */
  const acceptedAtProvider = async (outTradeNo: string): Promise<string> => {
    const d = await eventually(() => deductionsRepo.get(deductionId(park.parkNumber, outTradeNo)), (x) => !!x?.attempt?.tradeNo);
    const tradeNo = d!.attempt!.tradeNo;
    await waitUntil(() => wechat.deductions.get(tradeNo)?.result.status === 'accepted', 'the provider accepts the deduction');
    return tradeNo;
  };

  it("policy 'accepted': success at once; 'secured': success once the provider confirms within the wait", async () => {
    await signed('京C00001', wechat);
    wechat.mode = 'accepted';
    const { channel } = lanes({ settleWaitMs: WAIT_MS });
    expect(await pay(channel, accepting, '京C00001', nextTrade())).toEqual({ ok: true });

    const t = nextTrade();
    const answer = pay(channel, park, '京C00001', t);
    const tradeNo = await acceptedAtProvider(t);
    wechat.settle(tradeNo, true);
    expect(await answer).toEqual({ ok: true });
    expect((await deductionsRepo.get(deductionId(park.parkNumber, t)))!.state).toBe('paid');
  });

  it("'secured' and not confirmed in time: deduction_pending; the notification settles it; the repeat succeeds without a new deduction", async () => {
    await signed('京C00002', wechat);
    wechat.mode = 'accepted';
    const { channel, deductions } = lanes({ settleWaitMs: 100 });
    const t = nextTrade();
    expect(await pay(channel, park, '京C00002', t)).toEqual({ ok: false, errorCode: expect.stringMatching(/^deduction_pending/) });
    const tradeNo = (await deductionsRepo.get(deductionId(park.parkNumber, t)))!.attempt!.tradeNo;
    const result = wechat.settle(tradeNo, true);
    expect(await deductions.onDeduction(tradeNo, result)).toBe('applied');
    expect(await deductions.onDeduction(tradeNo, result)).toBe('unchanged');
    expect(await pay(channel, park, '京C00002', t)).toEqual({ ok: true });
    expect(wechat.calls.filter((c) => c.op === 'deduct').length).toBe(1);
  });

  it('an accepted deduction that fails later (PAY_FAIL) answers insufficient_funds', async () => {
    await signed('京C00003', wechat);
    wechat.mode = 'accepted';
    const { channel } = lanes({ settleWaitMs: WAIT_MS });
    const t = nextTrade();
    const answer = pay(channel, park, '京C00003', t);
    wechat.settle(await acceptedAtProvider(t), false);
    expect(await answer).toEqual({ ok: false, errorCode: 'insufficient_funds: 余额不足' });
    expect(wechat.debits).toEqual([]);
  });
});

describe('several agreements for one plate', () => {
  it('the most recently signed pays; one the provider no longer has is skipped and refreshed', async () => {
    const older = await signed('京D00001', alipay);
    clock.advance(1_000);
    const newer = await signed('京D00001', wechat);
    const { channel } = lanes();
    expect(await pay(channel, park, '京D00001', nextTrade())).toEqual({ ok: true });
    expect(wechat.debits.length).toBe(1);
    expect(alipay.debits.length).toBe(0);

    // The WeChat user ended the service in WeChat: the next payment falls to the Alipay agreement.
    wechat.setState(newer.signNo, 'ended');
    expect(await pay(channel, park, '京D00001', nextTrade())).toEqual({ ok: true });
    expect(alipay.debits.length).toBe(1);
    // The skipped agreement is refreshed behind the answer.
    await eventually(() => agreementsRepo.get(newer.id), (a) => a?.state === 'ended');
    expect((await agreementsRepo.get(older.id))!.state).toBe('active');
  });
});

describe("only money the lot's own records say is owed (deduction-trust.ts)", () => {
  afterEach(() => {
    lotPrice.fen = 99_00;
    lotPrice.fail = undefined;
  });

  it('no open stay of the plate in the park: no_stay, no claim, the provider never asked', async () => {
    await signed('京E00001', alipay);
    const { channel } = lanes();
    const t = nextTrade();
    const out = await channel.pay(park, { plateID: encodeURIComponent('京E00001'), payCharge: '5.00', outTradeNo: t });
    expect(out).toEqual({ ok: false, errorCode: expect.stringMatching(/^no_stay: /) });
    expect(await deductionsRepo.get(deductionId(park.parkNumber, t))).toBeUndefined();
    expect(alipay.calls.filter((c) => c.op === 'deduct')).toEqual([]);
    // A stay that left (its exit recorded) is not open either.
    const u = nextTrade();
    await carIn(park, '京E00001', u);
    await stays.recordExit({ parkNumber: park.parkNumber, orderId: parseOutTradeNo(u, park.parkNumber)!.orderId, plate: '京E00001', plateKey: '京E00001', ticketCode: '', exit: { inTime: null, outTime: new Date(clock.now()), outChannel: '', outImage: '', chargeFen: 0, onLineChargeFen: 0, offLineChargeFen: 0, profitChargeTotalFen: 0, charges: [], record: {}, receivedAt: new Date(clock.now()) } });
    expect(errorOf(await channel.pay(park, { plateID: encodeURIComponent('京E00001'), payCharge: '5.00', outTradeNo: u }))).toMatch(/^no_stay: /);
  });

  it("more than the lot's own price (4.4): amount_exceeds_fee; refused or unreachable 4.4: nothing taken either", async () => {
    await signed('京E00002', alipay);
    const { channel } = lanes();
    lotPrice.fen = 400;
    expect(await pay(channel, park, '京E00002', nextTrade(), '4.01')).toEqual({ ok: false, errorCode: 'amount_exceeds_fee: the lot prices this stay at 4.00 yuan now, not 4.01' });
    lotPrice.fail = 'refused';
    expect(errorOf(await pay(channel, park, '京E00002', nextTrade(), '4.00'))).toMatch(/^no_stay: the lot does not price this stay \(订单不存在\)/);
    lotPrice.fail = 'unreachable';
    expect(errorOf(await pay(channel, park, '京E00002', nextTrade(), '4.00'))).toMatch(/^price_unconfirmed: /);
    expect(alipay.calls.filter((c) => c.op === 'deduct')).toEqual([]);
    lotPrice.fail = undefined;
    expect(await pay(channel, park, '京E00002', nextTrade(), '4.00')).toEqual({ ok: true });
  });

  it('a plate with no agreement is answered without asking the lot for a price', async () => {
    const { channel } = lanes();
    const before = lotPrice.calls;
    expect(errorOf(await pay(channel, park, '京E00003', nextTrade()))).toMatch(/^no_agreement: /);
    expect(lotPrice.calls).toBe(before);
  });

  it('an agreement limited to another park is not charged here; one limited to this park is', async () => {
    await signed('京E00004', alipay, { kind: 'park', parkNumber: 'p_elsewhere' });
    const { channel } = lanes();
    expect(errorOf(await pay(channel, park, '京E00004', nextTrade()))).toMatch(/^no_agreement: /);
    await signed('京E00005', wechat, { kind: 'park', parkNumber: park.parkNumber });
    expect(await pay(channel, park, '京E00005', nextTrade())).toEqual({ ok: true });
    expect(alipay.debits).toEqual([]);
  });

  it('the daily cap holds against concurrent deductions; money not taken is given back to the cap', async () => {
    const capped: Park = { ...park, settings: { withholding: { maxPerDayFen: 1_200 } } };
    await signed('京E00006', alipay);
    const { channel } = lanes();
    const trades = Array.from({ length: 6 }, () => nextTrade());
    for (const t of trades) await carIn(capped, '京E00006', t);
    const answers = await Promise.all(trades.map((t) => channel.pay(capped, { plateID: encodeURIComponent('京E00006'), payCharge: '5.00', outTradeNo: t })));
    expect(answers.filter((a) => a.ok)).toHaveLength(2);
    expect(answers.filter((a) => !a.ok).map((a) => errorOf(a))).toEqual(Array(4).fill(expect.stringMatching(/^over_limit: .*today \(12\.00 yuan\)/)));
    expect(alipay.debits.map((d) => d.fen)).toEqual([500, 500]);
    expect(await spend.total((await agreementsRepo.byPlate('京E00006'))[0]!.id, formatChinaDate(clock.now()))).toBe(1_000);

    // A refused deduction takes nothing and keeps no share of the day.
    await signed('京E00007', wechat);
    const tight: Park = { ...park, settings: { withholding: { maxPerDayFen: 500 } } };
    wechat.mode = 'insufficient_funds';
    expect(errorOf(await pay(channel, tight, '京E00007', nextTrade()))).toMatch(/^insufficient_funds/);
    wechat.mode = 'paid';
    expect(await pay(channel, tight, '京E00007', nextTrade())).toEqual({ ok: true });
    expect(errorOf(await pay(channel, tight, '京E00007', nextTrade()))).toMatch(/^over_limit: /);
  });

  it('the cap per deduction: nothing claimed, nothing asked', async () => {
    await signed('京E00008', alipay);
    const { channel } = lanes();
    const small: Park = { ...park, settings: { withholding: { maxPerDeductionFen: 499 } } };
    expect(await pay(channel, small, '京E00008', nextTrade())).toEqual({ ok: false, errorCode: 'over_limit: 5.00 yuan is more than this park allows in one deduction (4.99)' });
    expect(alipay.calls.filter((c) => c.op === 'deduct')).toEqual([]);
  });
});

/**
 * Monthly passes on the real engine (repository/passes.ts), through the repositories core/passes uses: a
 * purchase's every change is one write conditional on the states it leaves (racing writers: one wins, the
 * other changes nothing), a purchase number is inserted once, a booth renewal is put back once per purchase,
 * and a park's places are taken by one conditional write, so buyers racing for the last one never both
 * get it.
 */
import * as changes from '../../../server/src/core/passes/changes';
import type { Extension, PassOffer, PassPurchase, PurchaseChange, PurchaseState } from '../../../server/src/core/passes/model';
import { MongoLotRecordsRepository } from '../../../server/src/repository/lot-records';
import { MongoPassRepositories } from '../../../server/src/repository/passes';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repos: MongoPassRepositories;
let lot: MongoLotRecordsRepository;
beforeAll(async () => {
  db = await openTestDatabase('passes');
  repos = new MongoPassRepositories(db.connection);
  lot = new MongoLotRecordsRepository(db.connection);
  await Promise.all([repos.init(), lot.init()]);
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
const cn = (s: string) => new Date(`${s}+08:00`);
let n = 0;
/** A park of its own for each test that counts what a park holds. */
const park = () => `PK${++n}`;
function purchase(over: Partial<PassPurchase> = {}): PassPurchase {
  const i = ++n;
  return {
    purchaseNo: `PP2612050200${String(i).padStart(8, '0')}`,
    driverId: `drv${i}`,
    parkNumber: 'P1',
    plate: `京A${String(i).padStart(5, '0')}`,
    months: 1,
    priceFen: 30000,
    areaIds: [1],
    state: 'awaiting_payment',
    createdAt: at(i),
    updatedAt: at(i),
    ...over,
  };
}
const extension = (x: Partial<Extension> = {}): Extension => ({
  before: [{ areaId: 1, end: '2026-12-31' }],
  areas: [{ areaId: 1, start: '2026-12-05', end: '2027-01-31' }],
  start: '2026-12-05',
  end: '2027-01-31',
  plannedAt: at(100),
  ...x,
});
/** A purchase stored in `state`. */
async function stored(state: PurchaseState, over: Partial<PassPurchase> = {}): Promise<PassPurchase> {
  const p = purchase({ state, ...over });
  await repos.purchases.insert(p);
  return p;
}
/** A purchase as read back: mongoose keeps the list of restored renewals as an empty array from the start. */
const asRead = (p: PassPurchase): PassPurchase => ({ ...p, restored: p.restored ?? [] });
const stateOf = async (no: string) => (await repos.purchases.get(no))!.state;

describe('purchase inserts and reads', () => {
  it('a purchase reads back as written, found by driver, park and plate', async () => {
    const P = park();
    const p = await stored('awaiting_payment', { parkNumber: P });
    expect(await repos.purchases.get(p.purchaseNo)).toEqual(asRead(p));
    expect(await repos.purchases.listForDriver(p.driverId, 10)).toEqual([asRead(p)]);
    expect(await repos.purchases.listForPark(P, 10)).toEqual([asRead(p)]);
    expect(await repos.purchases.ofPlate(P, p.plate, 10)).toEqual([asRead(p)]);
    expect(await repos.purchases.ofPlate('P-other', p.plate, 10)).toEqual([]);
  });

  it('a purchase number is inserted once: a second insert with it fails and the first purchase stays', async () => {
    const p = await stored('awaiting_payment');
    await expect(repos.purchases.insert({ ...p, priceFen: 1, driverId: 'drv-other', parkNumber: 'P-other', plate: '京Z99999' })).rejects.toMatchObject({ code: 11000 });
    expect(await repos.purchases.get(p.purchaseNo)).toEqual(asRead(p));
    // The loser's keys were written before its insert failed: the readers check the record and skip it.
    expect(await repos.purchases.listForDriver('drv-other', 10)).toEqual([]);
    expect(await repos.purchases.listForPark('P-other', 10)).toEqual([]);
    expect(await repos.purchases.ofPlate('P-other', '京Z99999', 10)).toEqual([]);
  });

  it('two racing inserts of one purchase number: exactly one is stored', async () => {
    for (let i = 0; i < 5; i++) {
      const p = purchase();
      const r = await Promise.allSettled([repos.purchases.insert(p), repos.purchases.insert({ ...p, driverId: 'drv-racer' })]);
      expect(r.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
      const winner = r[0]!.status === 'fulfilled' ? p.driverId : 'drv-racer';
      expect((await repos.purchases.get(p.purchaseNo))!.driverId).toBe(winner);
    }
  });

  it('a key whose purchase was never written is skipped by the readers', async () => {
    const P = park();
    const p = await stored('awaiting_payment', { parkNumber: P });
    // A writer that died between its keys and its purchase leaves keys naming nothing.
    await db.connection.collection('pass_keys').updateOne({ _id: `park:${P}` as never }, { $addToSet: { refs: 'PP-never-written' } });
    expect((await repos.purchases.listForPark(P, 10)).map((x) => x.purchaseNo)).toEqual([p.purchaseNo]);
  });

  it('a plate’s purchases newest first, up to the limit; a driver’s and a park’s likewise', async () => {
    const P = park();
    const a = await stored('closed', { parkNumber: P, plate: '京B11111', driverId: 'drvL', createdAt: at(10) });
    const c = await stored('awaiting_payment', { parkNumber: P, plate: '京B11111', driverId: 'drvL', createdAt: at(30) });
    const b = await stored('active', { parkNumber: P, plate: '京B11111', driverId: 'drvL', createdAt: at(20) });
    expect((await repos.purchases.ofPlate(P, '京B11111', 10)).map((x) => x.purchaseNo)).toEqual([c, b, a].map((x) => x.purchaseNo));
    expect((await repos.purchases.ofPlate(P, '京B11111', 2)).map((x) => x.purchaseNo)).toEqual([c, b].map((x) => x.purchaseNo));
    expect((await repos.purchases.listForDriver('drvL', 1)).map((x) => x.purchaseNo)).toEqual([c.purchaseNo]);
    expect((await repos.purchases.listForPark(P, 3)).map((x) => x.purchaseNo)).toEqual([c, b, a].map((x) => x.purchaseNo));
  });
});

describe('purchase changes', () => {
  it('paid: awaiting_payment → extending; a second payment finds it moved and changes nothing', async () => {
    const p = await stored('awaiting_payment');
    expect(await repos.purchases.apply(p.purchaseNo, changes.paid(at(200)))).toMatchObject({ state: 'extending', updatedAt: at(200) });
    expect(await repos.purchases.apply(p.purchaseNo, changes.paid(at(300)))).toBeUndefined();
    expect(await repos.purchases.get(p.purchaseNo)).toMatchObject({ state: 'extending', updatedAt: at(200) });
  });

  it('money for a closed purchase buys the pass all the same: closed → extending', async () => {
    const p = await stored('closed');
    expect(await repos.purchases.apply(p.purchaseNo, changes.paid(at(200)))).toMatchObject({ state: 'extending' });
  });

  it('the payment and the order’s closing race: the payment always ends it extending (money for a closed order buys the pass)', async () => {
    for (let i = 0; i < 5; i++) {
      const p = await stored('awaiting_payment');
      const [byPay] = await Promise.all([repos.purchases.apply(p.purchaseNo, changes.paid(at(200))), repos.purchases.apply(p.purchaseNo, changes.closed(at(200)))]);
      expect(byPay).toMatchObject({ state: 'extending' });
      expect(await stateOf(p.purchaseNo)).toBe('extending');
    }
  });

  it('the order’s closing and a refund race on an unpaid purchase: exactly one wins', async () => {
    for (let i = 0; i < 5; i++) {
      const p = await stored('awaiting_payment');
      const [byClose, byRefund] = await Promise.all([repos.purchases.apply(p.purchaseNo, changes.closed(at(200))), repos.purchases.apply(p.purchaseNo, changes.refunded('refunded', at(200)))]);
      expect([byClose, byRefund].filter(Boolean)).toHaveLength(1);
      const now = (await repos.purchases.get(p.purchaseNo))!;
      expect(now.state).toBe(byClose ? 'closed' : 'refunded');
      if (byClose) expect(now.refundReason).toBeUndefined();
    }
  });

  it('two racing payments of one purchase: exactly one moves it', async () => {
    for (let i = 0; i < 5; i++) {
      const p = await stored('awaiting_payment');
      const r = await Promise.all([repos.purchases.apply(p.purchaseNo, changes.paid(at(200))), repos.purchases.apply(p.purchaseNo, changes.paid(at(201)))]);
      expect(r.filter(Boolean)).toHaveLength(1);
      expect(await stateOf(p.purchaseNo)).toBe('extending');
    }
  });

  it('the lot’s acceptance and a refund race on an extending purchase: exactly one wins, the loser leaves no field', async () => {
    for (let i = 0; i < 5; i++) {
      const p = await stored('extending', { extension: extension() });
      const [accepted, refunded] = await Promise.all([
        repos.purchases.apply(p.purchaseNo, changes.accepted(extension({ acceptedAt: at(300) }), '2027-01-31', at(300))),
        repos.purchases.apply(p.purchaseNo, changes.refunded('lot refused', at(300))),
      ]);
      expect([accepted, refunded].filter(Boolean)).toHaveLength(1);
      const now = (await repos.purchases.get(p.purchaseNo))!;
      if (accepted) {
        expect(now).toMatchObject({ state: 'active', validTo: '2027-01-31' });
        expect(now.refundReason).toBeUndefined();
      } else {
        expect(now).toMatchObject({ state: 'refunded', refundReason: 'lot refused' });
        expect(now.validTo).toBeUndefined();
      }
    }
  });

  it('a refund: from awaiting_payment or extending, with its reason', async () => {
    const a = await stored('awaiting_payment');
    const b = await stored('extending');
    expect(await repos.purchases.apply(a.purchaseNo, changes.refunded('driver asked', at(200)))).toMatchObject({ state: 'refunded', refundReason: 'driver asked' });
    expect(await repos.purchases.apply(b.purchaseNo, changes.refunded('lot refused', at(200)))).toMatchObject({ state: 'refunded', refundReason: 'lot refused' });
  });

  it.each<PurchaseState>(['active', 'closed', 'refunded'])('a refund of a %s purchase changes nothing', async (state) => {
    const p = await stored(state, state === 'refunded' ? { refundReason: 'first' } : {});
    expect(await repos.purchases.apply(p.purchaseNo, changes.refunded('second', at(200)))).toBeUndefined();
    expect(await repos.purchases.get(p.purchaseNo)).toEqual(asRead(p));
  });

  it('the lot’s acceptance: extending → active with the extension and its dates kept as dates', async () => {
    const p = await stored('extending');
    const x = extension({ acceptedAt: at(300) });
    const done = await repos.purchases.apply(p.purchaseNo, changes.accepted(x, '2027-01-31', at(300)));
    expect(done).toMatchObject({ state: 'active', validTo: '2027-01-31', extension: x });
    const read = (await repos.purchases.get(p.purchaseNo))!;
    expect(read.extension!.plannedAt).toEqual(at(100));
    expect(read.extension!.acceptedAt).toEqual(at(300));
  });

  it.each<PurchaseState>(['awaiting_payment', 'closed', 'refunded', 'active'])('an acceptance or a plan for a %s purchase changes nothing', async (state) => {
    const p = await stored(state);
    expect(await repos.purchases.apply(p.purchaseNo, changes.accepted(extension(), '2027-01-31', at(300)))).toBeUndefined();
    expect(await repos.purchases.apply(p.purchaseNo, changes.planned(extension(), at(300)))).toBeUndefined();
    expect(await repos.purchases.get(p.purchaseNo)).toEqual(asRead(p));
  });

  it('a plan keeps the purchase extending and replaces the extension whole', async () => {
    const p = await stored('extending', { extension: extension({ wholeLot: true, acceptedAt: at(150) }) });
    const x = extension({ end: '2027-02-28', areas: [{ areaId: 1, start: '2026-12-05', end: '2027-02-28' }], plannedAt: at(400) });
    const after = (await repos.purchases.apply(p.purchaseNo, changes.planned(x, at(400))))!;
    expect(after.state).toBe('extending');
    expect(after.extension).toEqual(x);
  });

  it('a restored booth renewal and the restore tries change an active purchase only', async () => {
    const active = await stored('active', { extension: extension(), validTo: '2027-01-31' });
    const ext = await stored('extending', { extension: extension() });
    expect(await repos.purchases.apply(active.purchaseNo, changes.renewalRestored(extension({ end: '2027-03-31' }), '2027-03-31', at(500)))).toMatchObject({ state: 'active', validTo: '2027-03-31' });
    expect(await repos.purchases.apply(active.purchaseNo, changes.restoreTries(3))).toMatchObject({ restoreTries: 3 });
    expect(await repos.purchases.apply(ext.purchaseNo, changes.renewalRestored(extension(), '2027-03-31', at(500)))).toBeUndefined();
    expect(await repos.purchases.apply(ext.purchaseNo, changes.restoreTries(3))).toBeUndefined();
    expect(await repos.purchases.get(ext.purchaseNo)).toEqual(asRead(ext));
  });

  it('a field the change clears is removed, the others stay', async () => {
    const p = await stored('active', { validTo: '2027-01-31', restoreTries: 2, refundReason: 'x' });
    const c: PurchaseChange = { from: ['active'], set: { updatedAt: at(600), clear: ['restoreTries', 'refundReason'] } };
    const after = (await repos.purchases.apply(p.purchaseNo, c))!;
    expect(after).not.toHaveProperty('restoreTries');
    expect(after).not.toHaveProperty('refundReason');
    expect(after).toMatchObject({ validTo: '2027-01-31', updatedAt: at(600), state: 'active' });
  });

  it('a change of a purchase that does not exist applies to nothing and creates nothing', async () => {
    expect(await repos.purchases.apply('PP-missing', changes.paid(at(1)))).toBeUndefined();
    expect(await repos.purchases.get('PP-missing')).toBeUndefined();
  });
});

describe('the park’s holding purchases', () => {
  it('being paid, being extended, or valid today or later; closed, refunded and expired ones are not', async () => {
    const P = park();
    const held = [
      await stored('awaiting_payment', { parkNumber: P }),
      await stored('extending', { parkNumber: P }),
      await stored('active', { parkNumber: P, validTo: '2026-12-05' }),
      await stored('active', { parkNumber: P, validTo: '2027-01-31' }),
    ];
    await stored('active', { parkNumber: P, validTo: '2026-12-04' });
    await stored('closed', { parkNumber: P });
    await stored('refunded', { parkNumber: P });
    await stored('awaiting_payment', { parkNumber: park() });
    const got = await repos.purchases.holding(P, '2026-12-05');
    expect(got.map((p) => p.purchaseNo).sort()).toEqual(held.map((p) => p.purchaseNo).sort());
  });
});

describe('putting booth renewals back', () => {
  it('a renewal is claimed once per purchase; given back, it can be claimed again', async () => {
    const p = await stored('active');
    expect(await repos.purchases.claimRestore(p.purchaseNo, 'r1')).toBe(true);
    expect(await repos.purchases.claimRestore(p.purchaseNo, 'r1')).toBe(false);
    expect(await repos.purchases.claimRestore(p.purchaseNo, 'r2')).toBe(true);
    await repos.purchases.unclaimRestore(p.purchaseNo, 'r1');
    expect((await repos.purchases.get(p.purchaseNo))!.restored).toEqual(['r2']);
    expect(await repos.purchases.claimRestore(p.purchaseNo, 'r1')).toBe(true);
  });

  it('two racing claims of one renewal: exactly one wins', async () => {
    for (let i = 0; i < 5; i++) {
      const p = await stored('active');
      const r = await Promise.all([repos.purchases.claimRestore(p.purchaseNo, 'r'), repos.purchases.claimRestore(p.purchaseNo, 'r')]);
      expect(r.filter(Boolean)).toHaveLength(1);
      expect((await repos.purchases.get(p.purchaseNo))!.restored).toEqual(['r']);
    }
  });

  it('the lot’s renewals of a plate since a time, with the new end as a China day', async () => {
    const P = park();
    const renewal = (key: string, plateKeys: string[], end: Date | null, receivedAt: Date) =>
      lot.recordRenewal({ parkNumber: P, dedupeKey: key, plates: plateKeys, plateKeys, payTime: null, payChargeFen: 30000, feeMonths: 1, end, record: {}, receivedAt });
    await renewal('old', ['京C00001'], cn('2027-01-31T23:59:59'), cn('2026-12-01T10:00:00'));
    // 07:00 in China is the evening before in UTC: the day is China's.
    await renewal('r1', ['京C00001', '京C00002'], cn('2027-01-01T07:00:00'), cn('2026-12-05T10:00:00'));
    await renewal('other', ['京C00003'], cn('2027-01-31T23:59:59'), cn('2026-12-05T10:00:00'));
    await renewal('no-end', ['京C00001'], null, cn('2026-12-05T11:00:00'));
    expect(await repos.boothRenewals.ofPlate(P, '京C00001', cn('2026-12-05T00:00:00'))).toEqual([{ key: 'r1', end: '2027-01-01', months: 1, receivedAt: cn('2026-12-05T10:00:00') }]);
    expect(await repos.boothRenewals.ofPlate(P, '京C00002', cn('2026-12-05T10:00:00'))).toHaveLength(1);
    expect(await repos.boothRenewals.ofPlate(P, '京C00002', cn('2026-12-05T10:00:01'))).toEqual([]);
  });
});

describe('the park’s places', () => {
  const none = async () => [] as string[];

  it('a plate takes a place once: taken, then held; none free past the limit', async () => {
    const P = park();
    expect(await repos.places.take(P, 'A', 2, none)).toBe('taken');
    expect(await repos.places.take(P, 'A', 2, none)).toBe('held');
    expect(await repos.places.take(P, 'B', 2, none)).toBe('taken');
    expect(await repos.places.take(P, 'C', 2, none)).toBe('full');
    expect((await repos.places.plates(P)).sort()).toEqual(['A', 'B']);
  });

  it('the first take seeds the places from the plates holding a pass (once, without repeats)', async () => {
    const P = park();
    let seeded = 0;
    const seed = async () => {
      seeded++;
      return ['A', 'B', 'A'];
    };
    expect(await repos.places.take(P, 'A', 3, seed)).toBe('held');
    expect(await repos.places.take(P, 'C', 3, seed)).toBe('taken');
    expect(await repos.places.take(P, 'D', 3, seed)).toBe('full');
    expect(seeded).toBe(1);
    expect((await repos.places.plates(P)).sort()).toEqual(['A', 'B', 'C']);
  });

  it('a freed place can be taken again; freeing a plate without one changes nothing', async () => {
    const P = park();
    await repos.places.take(P, 'A', 1, none);
    await repos.places.free(P, 'X');
    expect(await repos.places.take(P, 'B', 1, none)).toBe('full');
    await repos.places.free(P, 'A');
    await repos.places.free(P, 'A');
    expect(await repos.places.plates(P)).toEqual([]);
    expect(await repos.places.take(P, 'B', 1, none)).toBe('taken');
    expect(await repos.places.take(P, 'C', 1, none)).toBe('full');
  });

  it('one place freed twice at once is given back once (the count stays the plates’)', async () => {
    for (let i = 0; i < 5; i++) {
      const P = park();
      await repos.places.take(P, 'A', 2, none);
      await repos.places.take(P, 'B', 2, none);
      await Promise.all([repos.places.free(P, 'A'), repos.places.free(P, 'A')]);
      expect(await repos.places.take(P, 'C', 2, none)).toBe('taken');
      expect(await repos.places.take(P, 'D', 2, none)).toBe('full');
      expect((await repos.places.plates(P)).sort()).toEqual(['B', 'C']);
    }
  });

  it('two plates racing for the last place: exactly one gets it', async () => {
    for (let i = 0; i < 5; i++) {
      const P = park();
      await repos.places.take(P, 'A', 2, none);
      const r = await Promise.all([repos.places.take(P, 'B', 2, none), repos.places.take(P, 'C', 2, none)]);
      expect(r.sort()).toEqual(['full', 'taken']);
      expect(await repos.places.plates(P)).toHaveLength(2);
    }
  });

  it('one plate taking twice at once: one place, taken once and held once', async () => {
    for (let i = 0; i < 5; i++) {
      const P = park();
      await repos.places.take(P, 'A', 3, none);
      const r = await Promise.all([repos.places.take(P, 'B', 3, none), repos.places.take(P, 'B', 3, none)]);
      expect(r.sort()).toEqual(['held', 'taken']);
      expect((await repos.places.plates(P)).sort()).toEqual(['A', 'B']);
    }
  });

  it('two first buyers seeding at once: one document, each plate placed once', async () => {
    for (let i = 0; i < 5; i++) {
      const P = park();
      const seed = async () => ['S'];
      const r = await Promise.all([repos.places.take(P, 'A', 2, seed), repos.places.take(P, 'B', 2, seed)]);
      expect(r.sort()).toEqual(['full', 'taken']);
      expect(await repos.places.plates(P)).toHaveLength(2);
    }
  });
});

describe('offers', () => {
  const offer = (over: Partial<PassOffer> = {}): PassOffer => ({
    parkNumber: 'PO',
    areaIds: [1, 2],
    prices: [
      { months: 1, priceFen: 30000 },
      { months: 3, priceFen: 85000 },
    ],
    newPlates: true,
    maxPasses: 50,
    text: 'rules',
    status: 'on_sale',
    updatedBy: 'alice',
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  });

  it('an offer is replaced whole: what the new one leaves out is gone', async () => {
    expect(await repos.offers.get('PO')).toBeUndefined();
    await repos.offers.put(offer());
    expect(await repos.offers.get('PO')).toEqual(offer());
    const next = offer({ prices: [{ months: 1, priceFen: 32000 }], status: 'withdrawn', updatedAt: at(60) });
    await repos.offers.put(next);
    expect(await repos.offers.get('PO')).toEqual(next);
  });

  it('two operators saving a new park’s offer at once: both saves succeed and one of the two offers is kept whole', async () => {
    for (let i = 0; i < 5; i++) {
      const a = offer({ parkNumber: `PO-race${i}`, text: 'a', maxPasses: 1 });
      const b = offer({ parkNumber: `PO-race${i}`, text: 'b', maxPasses: 2, prices: [{ months: 1, priceFen: 1 }] });
      await Promise.all([repos.offers.put(a), repos.offers.put(b)]);
      expect([a, b]).toContainEqual(await repos.offers.get(a.parkNumber));
    }
  });
});

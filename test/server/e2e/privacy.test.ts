/**
 * Whose car is it? Anyone can bind any plate, so a bound plate proves nothing. A driver sees a stay's entry
 * time, entry picture and where the car stands only for a plate they have proved at that lot — their own
 * payment there, their own unlicensed entry there, or a confirmation the lot's record can check (the entry
 * lane and time) — and otherwise only that a car with this plate is here. Whether a plate is a lot's monthly
 * car, and until when, is told only for a proved plate too. Look-ups are rate-limited per driver and per
 * address. Through ParkPay's real server in demo mode (the Bluecard and WeChat sandboxes).
 */
import { buildPath, type EndpointDef } from '../../../shared/api/contract';
import { orderEndpoints, type OrderView } from '../../../shared/api/orders';
import { formatChinaTime } from '../../../shared/time';
import { loadConfig } from '../../../server/src/config';
import { createLogger } from '../../../server/src/logger';
import { DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { DEMO_OPERATOR } from '../../../server/sandbox/demo';
import { startServer, type RunningServer } from '../../../server/src/server';
import { testDatabaseUri } from '../../support/db';
import { eventually } from '../../support/payment-world';

const P = DEMO_PARK_NUMBER;
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_privacy_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), workerPollMs: 100 },
  );
  await sb().bluecard.setClock(Date.now());
}, 60_000);
jest.setTimeout(30_000);
afterAll(async () => {
  await server.database.connection.dropDatabase().catch(() => undefined);
  await server.stop();
});

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);

async function api<T = unknown>(method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}
const path = <E extends EndpointDef>(e: E, params: Record<string, string>) => buildPath(e, params as never);
async function driver(name: string, plates: string[] = []): Promise<string> {
  const r = await api<{ token: string }>('POST', '/api/auth/wechat', undefined, { code: sb().wechatLogin.issueCode(name) });
  for (const plate of plates) expect((await api('POST', '/api/me/plates', r.body.token, { plate })).status).toBe(200);
  return r.body.token;
}

interface StayView { parkNumber: string; plate: string; source: string; inTime: string; inImageUrl: string | null; proved: boolean }
const myStays = async (token: string) => (await api<{ stays: StayView[] }>('GET', '/api/me/stays', token)).body.stays;
const findCar = (token: string, plate: string) => api<{ proved: boolean; here: boolean; spaces: { plate: string; spaceId: string }[]; error?: { code: string } }>('GET', `/api/parks/${P}/find-car?plate=${encodeURIComponent(plate)}`, token);
const confirm = (token: string, body: { plate: string; enteredAt: string; passagewayId: string }) =>
  api<{ proved?: boolean; error?: { code: string; message: string; details?: Record<string, unknown> } }>('POST', `/api/parks/${P}/plate-proofs`, token, body);

/** A car drives in `minutes` ago by the east entrance (lane 1), with its entry picture sent to ParkPay. */
async function carIn(plate: string, minutes: number, lane = '东门入口') {
  const at = Date.now() - minutes * 60_000;
  await sb().bluecard.setClock(at);
  const { orderId } = await lot().arrive({ lane, plate, wait: true });
  await sb().bluecard.setClock(Date.now());
  await lot().sendImages({ orderId }, true);
  return { orderId, at };
}

describe('my parking', () => {
  it("a bound plate that is not proved: only that a car with this plate is here — no entry time, picture or fee's leave-by", async () => {
    await carIn('苏K10001', 40);
    const stranger = await driver('priv-stranger', ['苏K10001']);
    const stays = await myStays(stranger);
    expect(stays).toEqual([{ parkNumber: P, parkName: '示例停车场', plate: '苏K10001', source: 'plate', inTime: '', inAt: null, inImageUrl: null, leaveBy: null, proved: false }]);
  });

  it('proved by paying for it at that lot: the entry time and picture are shown', async () => {
    await carIn('苏K10002', 95);
    const owner = await driver('priv-payer', ['苏K10002']);
    expect((await myStays(owner))[0]).toMatchObject({ proved: false, inImageUrl: null });
    const fee = await api<{ order: { orderNo: string } }>('POST', '/api/fees/prepay', owner, { parkNumber: P, plate: '苏K10002' });
    const orderNo = fee.body.order.orderNo;
    const pay = await api<{ pay: { requestPayment: Record<string, unknown> } }>('POST', path(orderEndpoints.pay, { orderNo }), owner, { wallet: 'wechat' });
    sb().wechatPay.requestPayment(pay.body.pay.requestPayment, { outcome: 'pay' });
    await eventually(() => api<OrderView>('GET', path(orderEndpoints.order, { orderNo }), owner), (r) => r.body.status === 'paid' || r.body.status === 'delivered', 10_000);
    const [stay] = await myStays(owner);
    expect(stay).toMatchObject({ plate: '苏K10002', proved: true, inTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/), inImageUrl: expect.stringMatching(/^\/api\/images\//) });
    expect((await fetch(`${server.url}${stay!.inImageUrl}`)).status).toBe(200);
    // Another driver who binds the same plate still sees nothing of it.
    const other = await driver('priv-payer-neighbour', ['苏K10002']);
    expect((await myStays(other))[0]).toMatchObject({ proved: false, inTime: '', inImageUrl: null });
  });

  it('an unlicensed entry the driver made is theirs', async () => {
    const token = await driver('priv-unlicensed');
    const entry = await api<{ plate: string }>('POST', '/api/unlicensed/entry', token, { parkNumber: P, passagewayId: '3', wallet: 'wechat' });
    expect(entry.status).toBe(200);
    expect((await myStays(token)).find((s) => s.plate === entry.body.plate)).toMatchObject({ source: 'unlicensed', proved: true });
  });

  it('proved by a confirmation the lot can check (entry lane and time): wrong answers are counted, 3 lock it', async () => {
    const { at } = await carIn('苏K10003', 130, '西门入口');
    const owner = await driver('priv-confirm', ['苏K10003']);
    const wrongTime = await confirm(owner, { plate: '苏K10003', enteredAt: formatChinaTime(at - 60 * 60_000).slice(0, 16), passagewayId: '3' });
    expect(wrongTime.status).toBe(409);
    expect(wrongTime.body.error).toMatchObject({ code: 'not_confirmed', details: { attemptsLeft: 2 } });
    const wrongLane = await confirm(owner, { plate: '苏K10003', enteredAt: formatChinaTime(at).slice(0, 16), passagewayId: '1' });
    expect(wrongLane.body.error).toMatchObject({ code: 'not_confirmed', details: { attemptsLeft: 1 } });
    // Within ten minutes of the lot's entry time, at the lane it recorded: proved.
    const right = await confirm(owner, { plate: '苏K10003', enteredAt: formatChinaTime(at + 4 * 60_000).slice(0, 16), passagewayId: '3' });
    expect(right).toMatchObject({ status: 200, body: { proved: true } });
    expect((await myStays(owner))[0]).toMatchObject({ proved: true, inImageUrl: expect.stringMatching(/^\/api\/images\//) });

    const { at: at2 } = await carIn('苏K10004', 30);
    const guesser = await driver('priv-guesser', ['苏K10004']);
    for (let i = 0; i < 3; i++) expect((await confirm(guesser, { plate: '苏K10004', enteredAt: formatChinaTime(at2 - (i + 1) * 3_600_000).slice(0, 16), passagewayId: '1' })).status).toBe(409);
    const locked = await confirm(guesser, { plate: '苏K10004', enteredAt: formatChinaTime(at2).slice(0, 16), passagewayId: '1' });
    expect(locked.status).toBe(429);
    expect(locked.body.error!.code).toBe('confirm_locked');
    expect((await myStays(guesser))[0]).toMatchObject({ proved: false });
    // A plate with no car in the lot has nothing to confirm.
    expect((await confirm(guesser, { plate: '苏K19999', enteredAt: formatChinaTime(at2).slice(0, 16), passagewayId: '1' })).body.error!.code).toBe('car_not_here');
  });
});

describe('find my car (4.34)', () => {
  it('4 characters of a plate find nothing any more: a whole plate is needed', async () => {
    const token = await driver('priv-fragment');
    const r = await findCar(token, 'K100');
    expect(r.status).toBe(400);
    expect(r.body.error!.code).toBe('plate_invalid');
  });

  it("a plate not proved: only whether it is here; a proved one: where it stands (that car only)", async () => {
    await lot().arrive({ lane: '东门入口', plate: '苏K20001', wait: true });
    await lot().arrive({ lane: '东门入口', plate: '苏K20011', wait: true });
    const stranger = await driver('priv-find-stranger');
    expect((await findCar(stranger, '苏K20001')).body).toEqual({ proved: false, here: true, spaces: [] });
    expect((await findCar(stranger, '苏K29999')).body).toEqual({ proved: false, here: false, spaces: [] });

    const { at } = await carIn('苏K20002', 20, '西门入口');
    const owner = await driver('priv-find-owner', ['苏K20002']);
    expect((await confirm(owner, { plate: '苏K20002', enteredAt: formatChinaTime(at).slice(0, 16), passagewayId: '3' })).status).toBe(200);
    const found = await findCar(owner, '苏K20002');
    expect(found.body.proved).toBe(true);
    expect(found.body.spaces.length).toBeGreaterThan(0);
    expect(found.body.spaces.every((s) => s.plate.replace(/\s/g, '') === '苏K20002')).toBe(true);
  });

  it('look-ups are rate-limited per driver and per address', async () => {
    const token = await driver('priv-rate');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await findCar(token, `苏K3${String(i).padStart(4, '0')}`)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    const limited = await findCar(token, '苏K39999');
    expect(limited.status).toBe(429);
    expect(limited.body.error!.code).toBe('too_many_requests');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Fresh drivers from one address: the address runs out too.
    const byAddress: number[] = [];
    for (let d = 0; d < 5; d++) {
      const t = await driver(`priv-rate-${d}`);
      for (let i = 0; i < 8; i++) byAddress.push((await findCar(t, `苏K4${d}${String(i).padStart(3, '0')}`)).status);
    }
    expect(byAddress).toContain(429);
    expect(byAddress.filter((s) => s === 200).length).toBeLessThan(40);
  });
});

describe('monthly passes', () => {
  const today = () => formatChinaTime(Date.now()).slice(0, 10);
  const pass = (token: string, plate: string) =>
    api<{ validity: { source: string; end: string | null }; error?: { code: string } }>('GET', `/api/parks/${P}/passes/${encodeURIComponent(plate)}`, token);
  const buy = (token: string, plate: string) => api<{ state?: string; error?: { code: string; message: string } }>('POST', `/api/parks/${P}/passes`, token, { plate, months: 1 });

  it("renewals only: an unproved plate's answers are the same whether or not it is on the lot's list; a proved one learns which", async () => {
    await sb().bluecard.heartbeatNow(P);
    const login = await api<{ token: string }>('POST', '/api/op/auth/login', undefined, { username: DEMO_OPERATOR.username, password: DEMO_OPERATOR.password });
    const offer = { areaIds: [1], prices: [{ months: 1, priceFen: 30_000 }], newPlates: false, maxPasses: 100, text: '' };
    expect((await api('POST', `/api/op/parks/${P}/pass-offer`, login.body.token, offer)).status).toBe(200);
    // 苏K50001 is a monthly car of the lot (entered at its booth, pushed to ParkPay); 苏K50002 is not.
    await lot().offlineWhite(
      { plate: '苏K50001', chargeType: '', name: '', certificate: '', address: '', phone: '', plateColor: '', start: today(), end: '2027-06-30', dept: '', carType: '月租车', memo: '', areasAndValidity: [] },
      '1',
      true,
    );
    const onList = '苏K50001';
    const offList = '苏K50002';

    // Binding a plate proves nothing: the pass page and buying tell a stranger the same of both.
    const stranger = await driver('priv-pass-stranger', [onList, offList]);
    const [seenOn, seenOff] = [await pass(stranger, onList), await pass(stranger, offList)];
    expect(seenOn).toMatchObject({ status: 200, body: { validity: { source: 'hidden', end: null } } });
    expect(seenOff.body).toEqual(seenOn.body);
    const [buyOn, buyOff] = [await buy(stranger, onList), await buy(stranger, offList)];
    expect(buyOn).toMatchObject({ status: 403, body: { error: { code: 'plate_not_proved' } } });
    expect(buyOff.status).toBe(buyOn.status);
    expect(buyOff.body).toEqual(buyOn.body);

    // Their owners prove them (the entry lane and time of the car's stay): now each learns where it stands.
    for (const [plate, name] of [[onList, 'priv-pass-owner'], [offList, 'priv-pass-other']] as const) {
      const { at } = await carIn(plate, 20);
      const owner = await driver(name, [plate]);
      expect((await confirm(owner, { plate, enteredAt: formatChinaTime(at).slice(0, 16), passagewayId: '1' })).status).toBe(200);
      if (plate === onList) {
        expect((await pass(owner, plate)).body.validity).toMatchObject({ source: 'lot_list', end: '2027-06-30' });
        expect(await buy(owner, plate)).toMatchObject({ status: 200, body: { state: 'awaiting_payment' } });
      } else {
        expect((await pass(owner, plate)).body.validity).toMatchObject({ source: 'none' });
        expect(await buy(owner, plate)).toMatchObject({ status: 409, body: { error: { code: 'plate_not_on_whitelist' } } });
      }
    }
  });
});

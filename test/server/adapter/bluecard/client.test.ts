/**
 * Every down interface against a real local HTTP fake Bluecard: the body is exactly the spec table's field
 * set (and passes the registry's exact schema, checked by the fake), the sign header is md5(key+parkNumber),
 * and the spec's example answer (with its quirks) parses into the typed datas.
 */
import { bluecardInterfaceList, bluecardInterfaces } from '../../../../shared/bluecard';
import { BluecardClient, DOWN_CALLS, DOWN_CALL_NAMES } from '../../../../server/src/adapter/bluecard';
import type { Park } from '../../../../server/src/core/parks';
import { EXAMPLES } from './examples';
import { FakeBluecard, type Hit, md5 } from './fake-bluecard';

const KEY = 'k3y-Secret-0417';
const PARK_NUMBER = 'p180329111018';
const fake = new FakeBluecard({ [PARK_NUMBER]: KEY }, EXAMPLES);
let park: Park;
let client: BluecardClient;

beforeAll(async () => {
  await fake.start();
  park = { parkNumber: PARK_NUMBER, key: KEY, bluecardBaseUrl: fake.baseUrl };
  client = new BluecardClient({ sleep: async () => undefined });
});
afterEach(() => {
  expect(fake.problems()).toEqual([]);
  fake.reset();
});
afterAll(() => fake.stop());

/** The one hit of this call: right URL and sign. */
function onlyHit(path: string): Hit & { body: Record<string, unknown> } {
  expect(fake.hits.map((h) => h.path)).toEqual([path]);
  const hit = fake.hits[0];
  expect(hit.headers.sign).toBe(md5(KEY + PARK_NUMBER));
  expect(hit.headers.sign).toMatch(/^[0-9a-f]{32}$/);
  expect(hit.headers['content-type']).toBe('application/json;charset=utf-8');
  return hit as Hit & { body: Record<string, unknown> };
}

const keys = (o: unknown) => Object.keys(o as object).sort();
const sorted = (...k: string[]) => [...k].sort();

describe('the client covers the registry', () => {
  it('has one call per live down interface, with the registry’s path and exact/tolerant schemas', () => {
    const down = bluecardInterfaceList.filter((i) => i.direction === 'down');
    expect(down.map((i) => i.path).sort()).toEqual(DOWN_CALL_NAMES.map((n) => DOWN_CALLS[n].path).sort());
    for (const name of DOWN_CALL_NAMES) {
      const call = DOWN_CALLS[name];
      const reg = bluecardInterfaces[call.section];
      expect(reg.direction).toBe('down');
      expect(call.path).toBe(reg.path);
      expect(call.request).toBe(reg.request);
      expect(call.answer).toBe(reg.answer);
      expect(call.label).toBe(`${call.section} ${reg.path}`);
      expect(typeof (client as unknown as Record<string, unknown>)[name]).toBe('function');
    }
    expect(DOWN_CALLS.remoteLiftRod.label).toBe('4.22 RemoteLiftRod');
  });
});

describe('4.4 getChargebf', () => {
  it('sends the six fields (couponTime in hours, as a string) and returns the priced stay with fen', async () => {
    const stay = await client.getChargebf(park, { orderId: '8643', plate: '京 A12345', couponHours: 2 });
    const { body } = onlyHit('getChargebf');
    expect(keys(body)).toEqual(sorted('parkNumber', 'orderId', 'plate', 'wxOpenId', 'ticketCode', 'couponTime'));
    expect(body).toEqual({ parkNumber: PARK_NUMBER, orderId: '8643', plate: '京 A12345', wxOpenId: '', ticketCode: '', couponTime: '2' });
    expect(stay).toMatchObject({
      orderId: '212',
      plate: '粤 Z00006',
      charge: '0.05',
      payCharge: '0.05',
      paidTotal: '0',
      profitChargeTotal: '0',
      getTime: '2019-02-25 16:50:01',
      paidfreeTime: '15',
      stopTimeTotal: '17',
      outTradeNo: '1_0_212_165002',
      imgName: '1902490001_20190225163256_0000000023_test_zip.jpg^23',
    });
    expect(stay.fen).toEqual({ charge: 5, payCharge: 5, paidTotal: 0, profitChargeTotal: 0 });
  });

  it('defaults couponTime to "0" and passes wxOpenId / ticketCode / an unlicensed "" plate as given', async () => {
    await client.getChargebf(park, { orderId: '9', plate: '', wxOpenId: 'o-abc', ticketCode: 'T1' });
    expect(onlyHit('getChargebf').body).toMatchObject({ plate: '', wxOpenId: 'o-abc', ticketCode: 'T1', couponTime: '0' });
  });
});

describe('4.5 sendPayRes', () => {
  it('sends the twelve fields: fen → yuan, instants → China time, getTime and getTimes (same value)', async () => {
    const datas = await client.sendPayRes(park, {
      orderId: '126',
      plate: '京 A12345',
      payChargeFen: 1200,
      realChargeFen: 1150,
      payTime: new Date(Date.UTC(2018, 2, 29, 9, 28, 2)), // 17:28:02 in China
      payType: '微信',
      payChannel: '提前付',
      getTime: '2018-03-29 17:28:02', // as the 4.4 answer gave it
      transactionID: 'pp-tx-000001',
      outTradeNo: 'p180329111018_0_12_175104',
    });
    const { body } = onlyHit('sendPayRes');
    expect(keys(body)).toEqual(
      sorted('parkNumber', 'orderId', 'plate', 'payCharge', 'realCharge', 'payTime', 'payType', 'payChannel', 'getTime', 'getTimes', 'transactionID', 'outTradeNo'),
    );
    expect(body).toEqual({
      parkNumber: PARK_NUMBER,
      orderId: '126',
      plate: '京 A12345',
      payCharge: '12.00',
      realCharge: '11.50',
      payTime: '2018-03-29 17:28:02',
      payType: '微信',
      payChannel: '提前付',
      getTime: '2018-03-29 17:28:02',
      getTimes: '2018-03-29 17:28:02',
      transactionID: 'pp-tx-000001',
      outTradeNo: 'p180329111018_0_12_175104',
    });
    expect(datas).toMatchObject({ transactionID: '154531584', orderId: '1212', timeStamp: '15312925080301' });
  });

  it('re-spells a getTime given in Bluecard’s liberal spelling, and accepts epoch ms', async () => {
    await client.sendPayRes(park, {
      orderId: '1',
      plate: '京A1',
      payChargeFen: 5,
      realChargeFen: 0,
      payTime: Date.UTC(2019, 1, 14, 4, 2, 45),
      payType: '云优惠',
      payChannel: '扫码付',
      getTime: '2019 - 02 - 14 12: 02: 45 ',
      transactionID: 't',
      outTradeNo: 'o',
    });
    expect(onlyHit('sendPayRes').body).toMatchObject({
      payCharge: '0.05',
      realCharge: '0.00',
      payTime: '2019-02-14 12:02:45',
      getTime: '2019-02-14 12:02:45',
      getTimes: '2019-02-14 12:02:45',
    });
  });
});

describe('4.6–4.8 whitelist', () => {
  it('4.6 synWhite sends parkNumber, size, datas with every table field and areasAndValidity', async () => {
    const datas = await client.synWhite(park, [
      {
        plate: '京 A466BD',
        chargeType: '不收费',
        name: '李月',
        certificate: '15623654854256325445',
        address: '北京市昌平区',
        phone: '1386554245',
        plateColor: '蓝牌',
        start: '2018-05-02',
        end: new Date(Date.UTC(2018, 10, 30, 15, 59, 59)), // 23:59:59 on 11-30 in China
        dept: '软件开发部',
        carType: '月租车',
        areasAndValidity: [{ areaId: 14, start: '2018-05-02', end: '2018-05-03' }],
      },
      { plate: '京 A46699', start: Date.UTC(2018, 5, 1), end: '2018-12-31' },
    ]);
    const { body } = onlyHit('synWhite');
    expect(keys(body)).toEqual(sorted('parkNumber', 'size', 'datas'));
    expect(body.size).toBe(2);
    const entries = body.datas as Record<string, unknown>[];
    const entryKeys = sorted('plate', 'chargeType', 'name', 'certificate', 'address', 'phone', 'plateColor', 'start', 'end', 'dept', 'carType', 'memo', 'areasAndValidity');
    expect(entries.map(keys)).toEqual([entryKeys, entryKeys]);
    expect(entries[0]).toEqual({
      plate: '京 A466BD',
      chargeType: '不收费',
      name: '李月',
      certificate: '15623654854256325445',
      address: '北京市昌平区',
      phone: '1386554245',
      plateColor: '蓝牌',
      start: '2018-05-02',
      end: '2018-11-30',
      dept: '软件开发部',
      carType: '月租车',
      memo: '',
      areasAndValidity: [{ areaId: 14, start: '2018-05-02', end: '2018-05-03' }],
    });
    expect(entries[1]).toMatchObject({ plate: '京 A46699', chargeType: '', name: '', start: '2018-06-01', end: '2018-12-31', areasAndValidity: [] });
    expect(datas).toEqual({ timeStamp: '15312925080301' }); // a numeric timeStamp read as its string
  });

  it('4.7 delWhite sends parkNumber and plate', async () => {
    expect(await client.delWhite(park, '京 A547NG')).toEqual({ timeStamp: '15312925080301' });
    const { body } = onlyHit('delWhite');
    expect(body).toEqual({ parkNumber: PARK_NUMBER, plate: '京 A547NG' });
  });

  it('4.7 clearWhitelist sends plate "" (delete ALL online whitelist) only when asked by name', async () => {
    await client.clearWhitelist(park);
    expect(onlyHit('delWhite').body).toEqual({ parkNumber: PARK_NUMBER, plate: '' });
  });

  it('4.8 queryWhite sends parkNumber, size, datas [{plate}] and returns the entries', async () => {
    const found = await client.queryWhite(park, ['京 A466BD', '京 A46699']);
    const { body } = onlyHit('queryWhite');
    expect(body).toEqual({ parkNumber: PARK_NUMBER, size: 2, datas: [{ plate: '京 A466BD' }, { plate: '京 A46699' }] });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ plate: '京 A466BD', carType: '线上月租', start: '2019-02-25', end: '2019-02-27', areasAndValidity: [] });
  });
});

describe('4.9–4.11 blacklist', () => {
  it('4.9 synBlack sends parkNumber, source 线上, size, datas [{plate, memo}]', async () => {
    await client.synBlack(park, [{ plate: '京 A12345', memo: '逃费' }, { plate: '京 B12345' }]);
    const { body } = onlyHit('synBlack');
    expect(keys(body)).toEqual(sorted('parkNumber', 'source', 'size', 'datas'));
    expect(body).toEqual({
      parkNumber: PARK_NUMBER,
      source: '线上',
      size: 2,
      datas: [
        { plate: '京 A12345', memo: '逃费' },
        { plate: '京 B12345', memo: '' },
      ],
    });
  });

  it('4.10 delBlack sends parkNumber and plate; clearBlacklist sends ""', async () => {
    await client.delBlack(park, '京 A547NG');
    expect(onlyHit('delBlack').body).toEqual({ parkNumber: PARK_NUMBER, plate: '京 A547NG' });
    fake.reset();
    await client.clearBlacklist(park);
    expect(onlyHit('delBlack').body).toEqual({ parkNumber: PARK_NUMBER, plate: '' });
  });

  it('4.11 queryBlack sends parkNumber, size, datas [{plate}] and returns [{plate, memo}]', async () => {
    const found = await client.queryBlack(park, ['京 A12345']);
    expect(onlyHit('queryBlack').body).toEqual({ parkNumber: PARK_NUMBER, size: 1, datas: [{ plate: '京 A12345' }] });
    expect(found).toEqual([{ plate: '京 A12345', memo: '' }]);
  });
});

describe('4.18, 4.19 bookings', () => {
  it('4.18 synBookingCar sends parkNumber and datas with the eleven booking fields (charge fen → yuan)', async () => {
    const at = (s: string) => s; // China time strings as an operator typed them
    await client.synBookingCar(park, [
      {
        plate: '京 A12345',
        action: 'book',
        start: at('2018-06-07 12:00:00'),
        end: at('2018-06-10 12:00:00'),
        chargeFen: 250,
        bookOrderId: '18674548778574',
        bookOrderTime: new Date(Date.UTC(2018, 5, 7, 3, 0, 0)),
        letInStartTime: at('2018-06-07 12:00:00'),
        letInEndTime: at('2018-06-07 12:30:00'),
      },
      {
        plate: '京 A12346',
        action: 'cancel',
        start: at('2018-06-07 12:00:00'),
        end: at('2018-06-10 12:00:00'),
        areaId: '3',
        chargeFen: 0,
        bookOrderId: '18674548778575',
        bookOrderTime: at('2018-06-07 11:00:00'),
        letInStartTime: at('2018-06-07 12:00:00'),
        letInEndTime: at('2018-06-07 12:30:00'),
        memo: '取消',
      },
    ]);
    const { body } = onlyHit('synBookingCar');
    expect(keys(body)).toEqual(sorted('parkNumber', 'datas'));
    const [book, cancel] = body.datas as Record<string, unknown>[];
    const bookingKeys = sorted('plate', 'start', 'end', 'areaId', 'flag', 'charge', 'bookOrderId', 'bookOrderTime', 'letInStartTime', 'letInEndTime', 'memo');
    expect(keys(book)).toEqual(bookingKeys);
    expect(book).toEqual({
      plate: '京 A12345',
      start: '2018-06-07 12:00:00',
      end: '2018-06-10 12:00:00',
      areaId: '0',
      flag: '1',
      charge: '2.50',
      bookOrderId: '18674548778574',
      bookOrderTime: '2018-06-07 11:00:00',
      letInStartTime: '2018-06-07 12:00:00',
      letInEndTime: '2018-06-07 12:30:00',
      memo: '',
    });
    expect(cancel).toMatchObject({ flag: '0', areaId: '3', charge: '0.00', memo: '取消' });
  });

  it.each([
    ['plates and time', { plates: ['京 A466BD', '京 A466BC'], from: '2018-07-12 09:00:00', to: '2018-07-12 18:00:00' }],
    ['plates only', { plates: ['京 A466BD'] }],
    ['time only', { from: '2018-07-12 09:00:00', to: '2018-07-12 18:00:00' }],
    ['neither', {}],
  ])('4.19 queryBookingCar with %s', async (_label, query) => {
    const datas = await client.queryBookingCar(park, query);
    const { body } = onlyHit('queryBookingCar');
    expect(keys(body)).toEqual(sorted('parkNumber', 'datas'));
    expect(body.datas).toEqual({
      plateList: (query as { plates?: string[] }).plates ?? [],
      start: (query as { from?: string }).from ?? '',
      end: (query as { to?: string }).to ?? '',
    });
    expect(datas.timeStamp).toBe('15312925080301');
    expect(datas.bookList[0]).toMatchObject({ bookOrderId: '18674548778574', inTime: '', plate: '京 A466BD' });
  });
});

describe('4.20, 4.22, 4.23', () => {
  it('4.20 queryImgByName sends the picture names exactly as given', async () => {
    const names = ['1807490001_20180712101010_1.jpg^17', '1807490002_20180712111111_1.jpg^17'];
    const datas = await client.queryImgByName(park, names);
    expect(onlyHit('queryImgByName').body).toEqual({ parkNumber: PARK_NUMBER, datas: names });
    expect(datas.imageList).toEqual([
      { imageName: '1807490001_20180712101010_1.jpg^17', imageURL: 'http://bluecard.example/images/1807490001_20180712101010_1.jpg' },
    ]);
  });

  it('4.22 remoteLiftRod posts to RemoteLiftRod with parkNumber and passagewayId ("Success" accepted)', async () => {
    expect(await client.remoteLiftRod(park, '1')).toEqual({ timeStamp: '15312925080301' });
    expect(onlyHit('RemoteLiftRod').body).toEqual({ parkNumber: PARK_NUMBER, passagewayId: '1' });
  });

  it('4.23 coupon numbers the coupons from 1; money position in fen, hour position in minutes', async () => {
    await client.coupon(park, [
      { kind: 'money', fen: 800, couponCode: 'BC_p170818090946_1_10_740014', orderId: '5', plate: '京 AB1001', end: '2018-10-31 11:59:59' },
      { kind: 'time', minutes: 120, couponCode: 'PP-2', orderId: '5', plate: '京 AB1001', end: Date.UTC(2018, 9, 31, 3, 59, 59) },
    ]);
    const { body } = onlyHit('coupon');
    expect(keys(body)).toEqual(sorted('parkNumber', 'datas'));
    const datas = body.datas as Record<string, unknown>[];
    const couponKeys = sorted('id', 'couponCode', 'couponModeId', 'end', 'orderId', 'plate', 'position');
    expect(datas.map(keys)).toEqual([couponKeys, couponKeys]);
    expect(datas).toEqual([
      { id: '1', couponCode: 'BC_p170818090946_1_10_740014', couponModeId: '1', end: '2018-10-31 11:59:59', orderId: '5', plate: '京 AB1001', position: '800' },
      { id: '2', couponCode: 'PP-2', couponModeId: '0', end: '2018-10-31 11:59:59', orderId: '5', plate: '京 AB1001', position: '120' },
    ]);
  });
});

describe('4.29, 4.30 unlicensed cars', () => {
  const unlicensedKeys = sorted('parkNumber', 'method', 'codeKind', 'authId', 'passagewayId', 'ephemeralPlate');

  it('4.29 unlicensedCarIn sends the six fields with method and returns the temporary plate', async () => {
    const datas = await client.unlicensedCarIn(park, { codeKind: '1', authId: 'ad15481854sdf481', passagewayId: '1', ephemeralPlate: '临 A00001' });
    const { body } = onlyHit('unlicensedCarIn');
    expect(keys(body)).toEqual(unlicensedKeys);
    expect(body).toEqual({ parkNumber: PARK_NUMBER, method: 'unlicensedCarIn', codeKind: '1', authId: 'ad15481854sdf481', passagewayId: '1', ephemeralPlate: '临 A00001' });
    expect(datas).toEqual({ plate: '京 A00001', inTime: '2019-02-25 16:32:56', inImage: '1902490001_20190225163256_1.jpg' });
  });

  it('4.30 unlicensedCarOut sends method unlicensedCarOut and reads the quirky priced stay', async () => {
    const stay = await client.unlicensedCarOut(park, { codeKind: '2', authId: '2088000000000001', passagewayId: '2' });
    const { body } = onlyHit('unlicensedCarOut');
    expect(keys(body)).toEqual(unlicensedKeys);
    expect(body).toMatchObject({ method: 'unlicensedCarOut', codeKind: '2', ephemeralPlate: '' });
    expect(stay).toMatchObject({ orderId: '1354', plate: '京 A00001', outTradeNo: 'p180329111018_2_1354_120245', getTime: '2019-02-14 12:02:45' });
    expect(stay.inTime.replace(/\s/g, '')).toBe('2019-02-1412:02:45'); // "inTime " key read, value kept as given
    expect(stay.fen).toEqual({ charge: 0, payCharge: 0, paidTotal: 0, profitChargeTotal: 0 });
  });
});

describe('4.33, 4.34 parking guidance', () => {
  it('4.33 getAllSpaceStatus sends parkNumber and method; rateState "1" reads as 1', async () => {
    const spaces = await client.getAllSpaceStatus(park);
    expect(onlyHit('getAllSpaceStatus').body).toEqual({ parkNumber: PARK_NUMBER, method: 'getAllSpaceStatus' });
    expect(spaces).toEqual([
      { layerId: '001', layerName: '地下一层停车场', spaceId: 'G005', rateState: 1, plate: '京 A00001', carType: '临时车' },
      { layerId: '001', layerName: '地下一层停车场', spaceId: 'G006', rateState: 0, plate: '', carType: '临时车' },
    ]);
  });

  it('4.34 getSpaceStatusByPlate sends parkNumber, method and plate; "" asks for every unlicensed car', async () => {
    const found = await client.getSpaceStatusByPlate(park, '京 A00001');
    expect(onlyHit('getSpaceStatusByPlate').body).toEqual({ parkNumber: PARK_NUMBER, method: 'getSpaceStatusByPlate', plate: '京 A00001' });
    expect(found[0]).toMatchObject({ spaceId: 'G001', plate: '京 A00001', imgPath: 'http://*******/102522.jpg', space_x: '0.078', layerName: '' });
    fake.reset();
    await client.getSpaceStatusByPlate(park, '');
    expect(onlyHit('getSpaceStatusByPlate').body).toMatchObject({ plate: '' });
  });
});

describe('base URL', () => {
  it('accepts a base URL with a trailing slash', async () => {
    await client.remoteLiftRod({ ...park, bluecardBaseUrl: `${fake.baseUrl}/` }, '3');
    expect(onlyHit('RemoteLiftRod').body).toEqual({ parkNumber: PARK_NUMBER, passagewayId: '3' });
  });
});

/**
 * Behaviour of the schemas beyond the spec's examples: what the tolerant side refuses (and how it names the
 * field), what the exact side refuses, envelopes, the method dispatcher and the registry.
 */
import {
  bluecardAnswer,
  bluecardInterfaceList,
  bluecardInterfaces,
  channelPayAnswer,
  channelsRequest,
  commonUpRequest,
  delWhiteRequest,
  downInterface,
  downUrl,
  entryRecordsAnswer,
  entryRecordsRequest,
  exitRecordsRequest,
  faceToFacePayAnswer,
  faceToFacePayRequest,
  faceToFaceSuccessEnvelope,
  failEnvelope,
  getChargebfAnswer,
  getChargebfRequest,
  getSpaceStatusByPlateRequest,
  heartbeatAnswer,
  heartbeatRequest,
  normalizeKeys,
  openGateAnswer,
  preExitPricingAnswer,
  queryBookingCarRequest,
  queryWhiteAnswer,
  selfEnvelope,
  sendPayResAnswer,
  sendPayResRequest,
  sendPayResRequestTolerant,
  successEnvelope,
  synBookingCarRequest,
  synWhiteRequest,
  timeStampDatas,
  timeStampNow,
  unlicensedCarInRequest,
  USERPAYING,
  withholdOrQrAnswer,
  withholdOrQrAnswerDatas,
  withholdOrQrAnswerTolerant,
  withholdOrQrRequest,
  couponRequest,
  type GetChargebfRequest,
  type SendPayResRequest,
  type SynWhiteRequest,
} from '../../../shared/bluecard';

type SafeParse = { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string; code: string }[] } } };

/** The issues of a parse that must fail. */
function issues(schema: SafeParse, value: unknown) {
  const r = schema.safeParse(value);
  if (r.success) throw new Error(`expected a rejection of ${JSON.stringify(value)}`);
  return r.error!.issues;
}
const paths = (schema: SafeParse, value: unknown) => issues(schema, value).map((i) => i.path.join('.'));

// ---------------------------------------------------------------------------------------------------------
// Sample messages

const entryRequest = () => ({
  parkNumber: 'p180329111018',
  size: 1,
  datas: [{ plate: '京 A12345', inTime: '2018-03-16 11:41:15', orderId: '1' }],
});

const payRequest = () => ({
  parkNumber: 'p180329111018',
  plate: '京 A466BD',
  outTradeNo: 'p180329111018_2_12121_122120',
  payCharge: '10',
});

const chargebf = (): GetChargebfRequest => ({
  parkNumber: 'p180329111018',
  orderId: '8643',
  plate: '京 A12345',
  wxOpenId: '',
  ticketCode: '',
  couponTime: '0',
});

const payRes = (): SendPayResRequest => ({
  parkNumber: 'p180329111018',
  orderId: '126',
  plate: '京 A12345',
  payCharge: '12.00',
  realCharge: '12.00',
  payTime: '2018-03-29 17:28:02',
  payType: '微信',
  payChannel: '提前付',
  getTime: '2018-03-29 17:28:00',
  getTimes: '2018-03-29 17:28:00',
  transactionID: 'pp-1',
  outTradeNo: 'p180329111018_0_12_175104',
});

const white = (): SynWhiteRequest => ({
  parkNumber: 'p180329111018',
  size: 1,
  datas: [
    {
      plate: '京 A466BD',
      chargeType: '不收费',
      name: '李月',
      certificate: '',
      address: '',
      phone: '',
      plateColor: '蓝牌',
      start: '2018-05-02',
      end: '2018-11-30',
      dept: '',
      carType: '月租车',
      memo: '',
      areasAndValidity: [{ areaId: 14, start: '2018-05-02', end: '2018-05-03' }],
    },
  ],
});

// ---------------------------------------------------------------------------------------------------------

describe('tolerant: what Bluecard sends', () => {
  it('fills defaults for missing optional fields and keeps unknown ones', () => {
    const r = entryRecordsRequest.parse({ ...entryRequest(), extra: { a: 1 } });
    const e = r.datas[0];
    expect(e).toMatchObject({ ticketCode: '', confidence: 0, userInfo: { idCard: '', userName: '', phone: '', address: '' }, placeInfo: [] });
    expect((r as Record<string, unknown>).extra).toEqual({ a: 1 });
  });

  it('coerces numbers and strings both ways and trims values (not plates)', () => {
    const r = entryRecordsRequest.parse({
      parkNumber: ' p1 ',
      size: '1',
      datas: [{ plate: ' 京 A12345', orderId: 1, confidence: ' 98 ', inTime: ' 2018-03-16 11:41:15 ', ticketCode: 12 }],
    });
    expect(r.parkNumber).toBe('p1');
    expect(r.size).toBe(1);
    expect(r.datas[0]).toMatchObject({ plate: ' 京 A12345', orderId: '1', confidence: 98, inTime: '2018-03-16 11:41:15', ticketCode: '12' });
  });

  it('maps keys with stray spaces or another case onto the declared keys', () => {
    const r = exitRecordsRequest.parse({
      ' parkNumber ': 'p1',
      datas: [{ orderId: '1', 'car Info': { plate: '京A1', Confidence: '7' }, passInfo: { 'inTime ': '2019 - 02 - 14 12: 02: 45 ' } }],
    });
    expect(r.parkNumber).toBe('p1');
    expect(r.datas[0].carInfo).toMatchObject({ plate: '京A1', confidence: 7 });
    expect(r.datas[0].passInfo.inTime).toBe('2019 - 02 - 14 12: 02: 45');
  });

  it('normalizeKeys: the exact spelling wins, nothing is dropped', () => {
    expect(normalizeKeys({ 'totalFee ': '1', totalFee: '2' }, ['totalFee'])).toEqual({ 'totalFee ': '1', totalFee: '2' });
    expect(normalizeKeys({ getTimes: 't' }, ['getTime'])).toEqual({ getTime: 't' });
    expect(normalizeKeys({ getTimes: 't', getTime: 'u' }, ['getTime'])).toEqual({ getTimes: 't', getTime: 'u' });
    expect(normalizeKeys({ ' other ': 1 }, [])).toEqual({ other: 1 });
    const proto = normalizeKeys(JSON.parse('{"__proto__": {"polluted": true}}'), []) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(proto)).toEqual(['__proto__']);
  });

  it('fills a missing size from datas', () => {
    const { size: _omitted, ...noSize } = entryRequest();
    expect(entryRecordsRequest.parse(noSize).size).toBe(1);
  });

  it('rejects a missing parkNumber, naming it', () => {
    const { parkNumber: _omitted, ...rest } = entryRequest();
    const found = issues(entryRecordsRequest, rest);
    expect(found.map((i) => i.path)).toEqual([['parkNumber']]);
    expect(found[0].message).toMatch(/required/);
    expect(paths(heartbeatRequest, { parkName: 'x' })).toEqual(['parkNumber']);
    expect(paths(heartbeatRequest, { parkNumber: '  ' })).toEqual(['parkNumber']);
  });

  it('rejects a record without orderId, naming the record', () => {
    expect(paths(entryRecordsRequest, { ...entryRequest(), datas: [{ plate: '京A1' }] })).toEqual(['datas.0.orderId']);
  });

  it.each(['abc', '-1', '1.234', '1e3', '', -1, Number.NaN, null])('rejects money %p, naming the field', (bad) => {
    const found = issues(withholdOrQrRequest, { ...payRequest(), payCharge: bad });
    expect(found.map((i) => i.path.join('.'))).toEqual(['payCharge']);
  });

  it('says what is wrong with a money value', () => {
    expect(issues(withholdOrQrRequest, { ...payRequest(), payCharge: 'abc' })[0].message).toMatch(/yuan.*"abc"/);
    expect(issues(withholdOrQrRequest, { ...payRequest(), payCharge: '1.234' })[0].message).toMatch(/more than 2 decimals/);
    expect(issues(withholdOrQrRequest, { ...payRequest(), payCharge: '-1' })[0].message).toMatch(/negative/);
  });

  it.each([['2.0 ', '2.0'], [12.5, '12.5'], ['0.05', '0.05'], [12, '12']])('accepts money %p as %p', (good, kept) => {
    expect(withholdOrQrRequest.parse({ ...payRequest(), payCharge: good }).payCharge).toBe(kept);
  });

  it.each(['2019-02-30 10:00:00', '2019-13-01 00:00:00', 'yesterday', '2019/02/14 12:00:00'])('rejects time %p, naming the field', (bad) => {
    const found = issues(entryRecordsRequest, { ...entryRequest(), datas: [{ orderId: '1', inTime: bad }] });
    expect(found.map((i) => i.path.join('.'))).toEqual(['datas.0.inTime']);
    expect(found[0].message).toMatch(/China time/);
  });

  it('accepts liberal times and keeps them trimmed', () => {
    const r = entryRecordsRequest.parse({ ...entryRequest(), datas: [{ orderId: '1', inTime: ' 2019 - 02 - 14 12: 02: 45 ' }] });
    expect(r.datas[0].inTime).toBe('2019 - 02 - 14 12: 02: 45');
  });

  it('rejects datas of the wrong type, naming it', () => {
    expect(paths(entryRecordsRequest, { ...entryRequest(), datas: '[]' })).toEqual(['datas']);
    expect(paths(entryRecordsRequest, { ...entryRequest(), datas: { orderId: '1' } })).toEqual(['datas']);
    expect(paths(getChargebfAnswer, { status: 'success', datas: [] })).toEqual(['datas']);
    expect(paths(queryWhiteAnswer, { status: 'success', datas: { plate: 'x' } })).toEqual(['datas']);
  });

  it('null reads as missing', () => {
    const r = withholdOrQrAnswerTolerant.parse({ status: 'success', errorCode: null, datas: { qrCode: 'https://qr', agreement: null, timeStamp: null } });
    expect(r).toEqual({ status: 'success', errorCode: '', datas: { qrCode: 'https://qr', timeStamp: '' } });
    expect(entryRecordsRequest.parse({ parkNumber: 'p1', datas: [{ orderId: '1', plate: null, userInfo: null, placeInfo: null, confidence: null }] }).datas[0]).toMatchObject({
      plate: '',
      userInfo: { idCard: '' },
      placeInfo: [],
      confidence: 0,
    });
  });

  it('4.21 accepts datas as a single object (the table says Json 对象)', () => {
    const r = channelsRequest.parse({ parkNumber: 'p1', size: 1, datas: { passagewayId: 1, passagewayName: '东门入口' } });
    expect(r.datas).toEqual([{ passagewayId: '1', passagewayName: '东门入口', sourceAreaId: '', targetAreaId: '' }]);
  });

  it('rejects a non-integer Int', () => {
    expect(paths(heartbeatRequest, { parkNumber: 'p1', freeSpaceCount: '12.5' })).toEqual(['freeSpaceCount']);
    expect(paths(heartbeatRequest, { parkNumber: 'p1', freeSpaceCount: 'many' })).toEqual(['freeSpaceCount']);
    expect(heartbeatRequest.parse({ parkNumber: 'p1' }).freeSpaceCount).toBeUndefined();
  });

  it('requires what pay calls act on', () => {
    expect(paths(faceToFacePayRequest, { parkNumber: 'p1', payCharge: '1' }).sort()).toEqual(['authCode', 'outTradeNo']);
    expect(paths(getChargebfAnswer, { status: 'success', datas: { payCharge: '1' } })).toEqual(['datas.outTradeNo']);
    expect(paths(getChargebfAnswer, { status: 'success', datas: { outTradeNo: 'x' } })).toEqual(['datas.payCharge']);
  });

  it('4.5 read liberally: getTimes alone (the example) or getTime alone (the table) fills the other', () => {
    const { getTime: t, getTimes: _t, ...rest } = payRes();
    expect(sendPayResRequestTolerant.parse({ ...rest, getTimes: t })).toMatchObject({ getTime: t, getTimes: t });
    expect(sendPayResRequestTolerant.parse({ ...rest, getTime: t })).toMatchObject({ getTime: t, getTimes: t });
    expect(sendPayResRequestTolerant.parse({ ...rest, ' GetTimes ': ` ${t} ` })).toMatchObject({ getTime: t, getTimes: t });
    expect(sendPayResRequestTolerant.parse({ ...rest, getTime: '', getTimes: t })).toMatchObject({ getTime: t, getTimes: t });
    // Both given: kept as given (the tolerant side does not insist they agree).
    expect(sendPayResRequestTolerant.parse({ ...rest, getTime: t, getTimes: '2018-03-29 17:28:01' })).toMatchObject({
      getTime: t,
      getTimes: '2018-03-29 17:28:01',
    });
    expect(paths(sendPayResRequestTolerant, rest)).toEqual(['getTime']);
  });
});

describe('bluecardAnswer: the envelope of Bluecard answers', () => {
  const answer = bluecardAnswer();

  it.each(['success', 'Success', 'SUCCESS', ' success '])('reads status %p as success', (status) => {
    expect(getChargebfAnswer.parse({ status, datas: { payCharge: '1', outTradeNo: 'x' } }).status).toBe('success');
  });

  it.each(['fail', 'FAIL', 'Fail'])('reads status %p as fail', (status) => {
    expect(answer.parse({ status, errorCode: '失败原因' })).toEqual({ status: 'fail', errorCode: '失败原因' });
  });

  it('errorCode may be null or missing', () => {
    expect(sendPayResAnswer.parse({ status: 'success', errorCode: null, datas: { transactionID: '1' } })).toEqual({
      status: 'success',
      errorCode: '',
      datas: { transactionID: '1', orderId: '', timeStamp: '' },
    });
    expect(answer.parse({ status: 'fail' })).toEqual({ status: 'fail', errorCode: '' });
  });

  it('a timeStamp-only answer may omit datas', () => {
    expect(bluecardInterfaces['4.6'].answer.parse({ status: 'success' })).toEqual({ status: 'success', errorCode: '', datas: { timeStamp: '' } });
  });

  it('rejects an unknown status, naming it', () => {
    expect(paths(answer, { status: 'ok' })).toEqual(['status']);
    expect(paths(answer, 'success')).toEqual(['']);
  });

  it('reads a blank status from what came with it', () => {
    expect(answer.parse({ status: '', datas: {} }).status).toBe('success');
    expect(answer.parse({ status: '', errorCode: 'x', datas: {} }).status).toBe('fail');
    expect(answer.parse({ errorCode: 'x' }).status).toBe('fail');
  });
});

describe('exact: what we send', () => {
  it('accepts well-formed down requests', () => {
    expect(getChargebfRequest.parse(chargebf())).toEqual(chargebf());
    expect(sendPayResRequest.parse(payRes())).toEqual(payRes());
    expect(synWhiteRequest.parse(white())).toEqual(white());
  });

  it('rejects extra fields', () => {
    const found = issues(getChargebfRequest, { ...chargebf(), extra: 1 });
    expect(found.map((i) => [i.code, i.path])).toEqual([['unrecognized_keys', []]]);
    const nested = white();
    (nested.datas[0] as Record<string, unknown>).nickname = 'x';
    expect(issues(synWhiteRequest, nested).map((i) => [i.code, i.path.join('.')])).toEqual([['unrecognized_keys', 'datas.0']]);
    expect(paths(sendPayResRequest, { ...payRes(), 'getTime ': payRes().getTime })).toEqual(['']);
  });

  it('rejects missing fields (every table field is sent)', () => {
    const { wxOpenId: _omitted, ...rest } = chargebf();
    expect(paths(getChargebfRequest, rest)).toEqual(['wxOpenId']);
  });

  it.each(['12.345', '12.5 ', ' 12', '-1', 'abc', '1e3', '12.'])('rejects money %p', (bad) => {
    expect(paths(sendPayResRequest, { ...payRes(), payCharge: bad })).toContain('payCharge');
  });

  it('rejects money as a number', () => {
    expect(paths(sendPayResRequest, { ...payRes(), realCharge: 12 })).toEqual(['realCharge']);
  });

  it.each(['2018-3-29 17:28:02', '2018-03-29T17:28:02', '2018-03-29 17:28', '2018-02-30 10:00:00', ' 2018-03-29 17:28:02', '2018-03-29'])(
    'rejects time %p',
    (bad) => {
      expect(paths(sendPayResRequest, { ...payRes(), payTime: bad })).toEqual(['payTime']);
    },
  );

  it('4.5 sends the settle time as both getTime (table) and getTimes (example, glossary), equal', () => {
    const { getTimes: _noTimes, ...withoutGetTimes } = payRes();
    expect(paths(sendPayResRequest, withoutGetTimes)).toEqual(['getTimes']);
    const { getTime: _noTime, ...withoutGetTime } = payRes();
    expect(paths(sendPayResRequest, withoutGetTime)).toEqual(['getTime']);
    const differ = issues(sendPayResRequest, { ...payRes(), getTimes: '2018-03-29 17:28:01' });
    expect(differ.map((i) => [i.path.join('.'), i.message])).toEqual([['getTimes', expect.stringMatching(/≠ getTime/)]]);
    // A malformed getTimes is reported once, as malformed (not also as different).
    expect(paths(sendPayResRequest, { ...payRes(), getTimes: '2018-03-29T17:28:00' })).toEqual(['getTimes']);
    expect(paths(sendPayResRequest, { ...payRes(), getTimes: '' })).toEqual(['getTimes']);
  });

  it('rejects Int sent as a string and size that does not count datas', () => {
    expect(paths(synWhiteRequest, { ...white(), size: '1' })).toEqual(['size']);
    expect(paths(synWhiteRequest, { ...white(), size: 2 })).toEqual(['size']);
    const w = white();
    (w.datas[0].areasAndValidity[0] as Record<string, unknown>).areaId = '14';
    expect(paths(synWhiteRequest, w)).toEqual(['datas.0.areasAndValidity.0.areaId']);
  });

  it('rejects a date-time where a date is due, and more than 50 whitelist entries', () => {
    const w = white();
    w.datas[0].start = '2018-05-02 00:00:00';
    expect(paths(synWhiteRequest, w)).toEqual(['datas.0.start']);
    const many = white();
    many.datas = Array.from({ length: 51 }, () => white().datas[0]);
    many.size = 51;
    expect(paths(synWhiteRequest, many)).toEqual(['datas']);
  });

  it('couponTime and coupon position are whole numbers as strings', () => {
    expect(paths(getChargebfRequest, { ...chargebf(), couponTime: 1 })).toEqual(['couponTime']);
    expect(paths(getChargebfRequest, { ...chargebf(), couponTime: '0.5' })).toEqual(['couponTime']);
    const coupon = {
      parkNumber: 'p1',
      datas: [{ id: '1', couponCode: 'C1', couponModeId: '1', end: '2018-10-31 11:59:59', orderId: '5', plate: '京AB1001', position: '800' }],
    };
    expect(couponRequest.parse(coupon)).toEqual(coupon);
    expect(paths(couponRequest, { ...coupon, datas: [{ ...coupon.datas[0], couponModeId: '2' }] })).toEqual(['datas.0.couponModeId']);
  });

  it('4.7 delWhite: plate "" (delete ALL) is valid on the wire — the caller must mean it', () => {
    expect(delWhiteRequest.parse({ parkNumber: 'p1', plate: '' })).toEqual({ parkNumber: 'p1', plate: '' });
  });

  it('4.18 bookings: end not before start', () => {
    const booking = {
      plate: '京A12345',
      start: '2018-06-07 12:00:00',
      end: '2018-06-10 12:00:00',
      areaId: '0',
      flag: '1',
      charge: '2.50',
      bookOrderId: 'b1',
      bookOrderTime: '2018-06-07 11:00:00',
      letInStartTime: '2018-06-07 12:00:00',
      letInEndTime: '2018-06-07 12:30:00',
      memo: '',
    };
    expect(synBookingCarRequest.parse({ parkNumber: 'p1', datas: [booking] }).datas[0]).toEqual(booking);
    expect(paths(synBookingCarRequest, { parkNumber: 'p1', datas: [{ ...booking, end: '2018-06-01 00:00:00' }] })).toEqual(['datas.0.end']);
    expect(paths(synBookingCarRequest, { parkNumber: 'p1', datas: [{ ...booking, areaId: 0 }] })).toEqual(['datas.0.areaId']);
  });

  it('4.19 queryBookingCar: the four combinations, and start/end together', () => {
    const q = (plateList: string[], start: string, end: string) => ({ parkNumber: 'p1', datas: { plateList, start, end } });
    for (const v of [q([], '', ''), q(['京A1'], '', ''), q([], '2018-07-12 09:00:00', '2018-07-12 18:00:00'), q(['京A1'], '2018-07-12 09:00:00', '2018-07-12 18:00:00')]) {
      expect(queryBookingCarRequest.parse(v)).toEqual(v);
    }
    expect(paths(queryBookingCarRequest, q([], '2018-07-12 09:00:00', ''))).toEqual(['datas.end']);
  });

  it('4.29 method and codeKind are exact', () => {
    const r = { parkNumber: 'p1', method: 'unlicensedCarIn', codeKind: '1', authId: 'o1', passagewayId: '1', ephemeralPlate: '' };
    expect(unlicensedCarInRequest.parse(r)).toEqual(r);
    expect(paths(unlicensedCarInRequest, { ...r, method: 'unlicensedcarin' })).toEqual(['method']);
    expect(paths(unlicensedCarInRequest, { ...r, codeKind: 1 })).toEqual(['codeKind']);
  });

  it('4.34 plate: "" or at least 4 characters', () => {
    const r = (plate: string) => ({ parkNumber: 'p1', method: 'getSpaceStatusByPlate', plate });
    expect(getSpaceStatusByPlateRequest.parse(r(''))).toEqual(r(''));
    expect(getSpaceStatusByPlateRequest.parse(r('京A12'))).toEqual(r('京A12'));
    expect(paths(getSpaceStatusByPlateRequest, r('京A1'))).toEqual(['plate']);
  });
});

describe('our answers (exact envelopes)', () => {
  it('envelope helpers build what the exact schemas accept', () => {
    const ok = successEnvelope(timeStampNow(Date.UTC(2019, 1, 25, 8, 50, 1)));
    expect(ok).toEqual({ status: 'success', datas: { timeStamp: '1551084601000' } });
    expect(heartbeatAnswer.parse(ok)).toEqual(ok);
    expect(heartbeatAnswer.parse(failEnvelope('失败原因'))).toEqual({ status: 'fail', errorCode: '失败原因' });
    expect(successEnvelope()).toEqual({ status: 'success' });
    expect(channelPayAnswer.parse(successEnvelope())).toEqual({ status: 'success' });
    expect(openGateAnswer.parse(selfEnvelope('临时车'))).toEqual({ status: 'self', errorCode: '临时车' });
    expect(openGateAnswer.parse(selfEnvelope())).toEqual({ status: 'self' });
    expect(faceToFacePayAnswer.parse(failEnvelope(USERPAYING))).toEqual({ status: 'fail', errorCode: 'USERPAYING' });
  });

  it('rejects a fail without a reason, or with datas', () => {
    expect(paths(heartbeatAnswer, { status: 'fail' })).toEqual(['errorCode']);
    expect(paths(heartbeatAnswer, { status: 'fail', errorCode: '' })).toEqual(['errorCode']);
    expect(paths(openGateAnswer, { status: 'fail' })).toEqual(['errorCode']);
    expect(issues(heartbeatAnswer, { status: 'fail', errorCode: 'x', datas: {} })[0].code).toBe('unrecognized_keys');
  });

  it('rejects status spelled otherwise than "success"', () => {
    expect(paths(heartbeatAnswer, { status: 'Success', datas: { timeStamp: '1' } })).toEqual(['status']);
  });

  it('timeStamp is a digit string', () => {
    expect(paths(timeStampDatas, { timeStamp: 1551084595996 })).toEqual(['timeStamp']);
    expect(paths(timeStampDatas, {})).toEqual(['timeStamp']);
    expect(paths(entryRecordsAnswer, { status: 'success' })).toEqual(['datas']);
  });

  it('4.13 answer: money exact, chargeList items strict', () => {
    const datas = {
      payCharge: '5.00',
      realCharge: '0',
      payKind: '神鲸支付',
      timeStamp: '1551084595996',
      chargeList: [{ payNo: '1', getTime: '2019-02-25 16:50:01', payCharge: '5.00', payKind: '微信', payChannel: '无感付', memo: '' }],
    };
    expect(preExitPricingAnswer.parse(successEnvelope(datas))).toEqual({ status: 'success', datas });
    expect(paths(preExitPricingAnswer, successEnvelope({ ...datas, payCharge: '5.001' }))).toEqual(['datas.payCharge']);
  });

  it('4.16: exactly one of qrCode and agreement', () => {
    const agreement = { outTradeNo: 'o1', payType: '微信', totalFee: '2.00', tradeNo: 't1', userId: '' };
    expect(withholdOrQrAnswerDatas.parse({ timeStamp: '1', qrCode: 'https://qr' })).toEqual({ timeStamp: '1', qrCode: 'https://qr' });
    expect(withholdOrQrAnswerDatas.parse({ timeStamp: '1', agreement })).toEqual({ timeStamp: '1', agreement });
    expect(paths(withholdOrQrAnswerDatas, { timeStamp: '1' })).toEqual(['qrCode']);
    expect(paths(withholdOrQrAnswerDatas, { timeStamp: '1', qrCode: '' })).toEqual(['qrCode']);
    expect(paths(withholdOrQrAnswerDatas, { timeStamp: '1', qrCode: 'https://qr', agreement })).toEqual(['qrCode']);
    expect(paths(withholdOrQrAnswer, successEnvelope({ timeStamp: '1', agreement: { ...agreement, totalFee: '2.0 ' } }))).toEqual([
      'datas.agreement.totalFee',
    ]);
  });

  it('4.24: payTypeId beside datas, exactly one of payContent and discountContent', () => {
    const payContent = { tradeNo: 't1', outTradeNo: 'o1', payCharge: '5.50', payTime: '2019-01-09 11:01:56', userId: '', payType: '第三方当面付' };
    const ok = faceToFaceSuccessEnvelope({ payContent });
    expect(ok).toEqual({ status: 'success', datas: { payContent }, payTypeId: '31' });
    expect(faceToFacePayAnswer.parse(ok)).toEqual(ok);
    expect(paths(faceToFacePayAnswer, successEnvelope({ payContent }))).toEqual(['payTypeId']);
    const discountContent = { coupon_code: 'c', coupon_mode_id: '0', end: '2019-02-28 01:01:01', id: '1', order_id: '15245', plate: '京A00001', position: '20' };
    expect(paths(faceToFacePayAnswer, faceToFaceSuccessEnvelope({ payContent, discountContent }))).toEqual(['datas.payContent']);
    expect(paths(faceToFacePayAnswer, faceToFaceSuccessEnvelope({}))).toEqual(['datas.payContent']);
  });

  it('4.27: success carries nothing else', () => {
    expect(issues(channelPayAnswer, { status: 'success', datas: {} })[0].code).toBe('unrecognized_keys');
  });
});

describe('commonUpRequest: one URL for 4.28 / 4.31 / 4.32', () => {
  const gate = { parkNumber: 'p1', method: 'opengate', plate: '京A88055', doTime: '2019-03-21 14:46:01', inOutType: 1 };

  it('dispatches on method whatever its case or spaces', () => {
    expect(commonUpRequest.parse({ ...gate, method: ' OpenGate ' })).toMatchObject({ method: 'opengate', inOutType: 1, confidence: 0 });
    expect(commonUpRequest.parse({ parkNumber: 'p1', 'method ': 'FIXEDLISTUP', datas: [{ plate: '京A1' }] })).toMatchObject({
      method: 'fixedListUp',
      size: 1,
    });
  });

  it('rejects a missing or unknown method, naming it', () => {
    expect(paths(commonUpRequest, { parkNumber: 'p1' })).toEqual(['method']);
    expect(paths(commonUpRequest, { ...gate, method: 'heartbeat' })).toEqual(['method']);
    expect(paths(commonUpRequest, 'opengate')).toEqual(['method']);
  });

  it('keeps the issue paths of the dispatched schema', () => {
    expect(paths(commonUpRequest, { ...gate, parkNumber: undefined })).toEqual(['parkNumber']);
    expect(paths(commonUpRequest, { parkNumber: 'p1', method: 'parkingspacefee', datas: [{ payCharge: 'x' }] })).toEqual(['datas.0.payCharge']);
  });
});

describe('registry', () => {
  it('lists every live interface 4.1–4.34 but the deprecated 4.12', () => {
    const sections = bluecardInterfaceList.map((i) => i.section);
    const expected = Array.from({ length: 34 }, (_, n) => `4.${n + 1}`).filter((s) => s !== '4.12');
    expect(sections).toEqual(expected);
  });

  it('has every schema defined; datas only missing for 4.27 and 4.28', () => {
    for (const i of bluecardInterfaceList) {
      expect([i.section, typeof i.request.safeParse, typeof i.answer.safeParse, typeof i.mirror.request.safeParse, typeof i.mirror.answer.safeParse]).toEqual([
        i.section,
        'function',
        'function',
        'function',
        'function',
      ]);
      expect([i.section, i.answerDatas === undefined, i.mirror.answerDatas === undefined]).toEqual([
        i.section,
        ['4.27', '4.28'].includes(i.section),
        ['4.27', '4.28'].includes(i.section),
      ]);
    }
  });

  it('names the down paths and the methods', () => {
    const down = bluecardInterfaceList.filter((i) => i.direction === 'down').map((i) => `${i.section} ${i.path}`);
    expect(down).toEqual([
      '4.4 getChargebf',
      '4.5 sendPayRes',
      '4.6 synWhite',
      '4.7 delWhite',
      '4.8 queryWhite',
      '4.9 synBlack',
      '4.10 delBlack',
      '4.11 queryBlack',
      '4.18 synBookingCar',
      '4.19 queryBookingCar',
      '4.20 queryImgByName',
      '4.22 RemoteLiftRod',
      '4.23 coupon',
      '4.29 unlicensedCarIn',
      '4.30 unlicensedCarOut',
      '4.33 getAllSpaceStatus',
      '4.34 getSpaceStatusByPlate',
    ]);
    expect(bluecardInterfaceList.filter((i) => i.direction === 'up').every((i) => i.path === undefined)).toBe(true);
    expect(bluecardInterfaceList.filter((i) => i.method).map((i) => `${i.section} ${i.method}`)).toEqual([
      '4.28 opengate',
      '4.29 unlicensedCarIn',
      '4.30 unlicensedCarOut',
      '4.31 parkingspacefee',
      '4.32 fixedListUp',
      '4.33 getAllSpaceStatus',
      '4.34 getSpaceStatusByPlate',
    ]);
    expect(downInterface('RemoteLiftRod')?.section).toBe('4.22');
    expect(downUrl('http://10.0.0.1:8080/', 'getChargebf')).toBe('http://10.0.0.1:8080/bcopenapi/out/getChargebf');
  });

  it('up requests are tolerant and down requests exact', () => {
    expect(bluecardInterfaces['4.2'].request.safeParse({ parkNumber: 1, datas: [{ orderId: 1 }] }).success).toBe(true);
    expect(bluecardInterfaces['4.4'].request.safeParse({ ...chargebf(), couponTime: 0 }).success).toBe(false);
    expect(bluecardInterfaces['4.4'].mirror.request.safeParse({ ...chargebf(), couponTime: 0 }).success).toBe(true);
  });
});

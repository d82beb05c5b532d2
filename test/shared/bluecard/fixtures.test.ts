/**
 * Every JSON example of the Bluecard protocol text (test/fixtures/bluecard, see its README) parses with the
 * schema of its section: tolerant for every example (that is how real traffic looks), and exact where the
 * example is something WE send — except the examples listed in EXACT_REJECTS, whose quirks our exact
 * schemas refuse on purpose (we never send them like that).
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  ALTER_CAR_TYPE_REQUEST_KEYS,
  USER_TYPES,
  bluecardAnswer,
  bluecardInterfaces,
  commonUpRequest,
  exitRecordsRequest,
  faceToFacePayAnswerTolerant,
  fixedListUpRequest,
  getChargebfAnswer,
  getSpaceStatusByPlateAnswer,
  channelPayRequest,
  entryRecordsRequest,
  heartbeatRequest,
  imageUploadRequest,
  openGateRequest,
  preExitPricingAnswerTolerant,
  queryWhiteAnswer,
  renewalsRequest,
  repairBase64,
  sendPayResRequestTolerant,
  splitPlates,
  synWhiteRequestTolerant,
  timeStampDatasTolerant,
  unlicensedCarOutAnswer,
  withholdOrQrAnswerTolerant,
  withholdOrQrRequest,
  type BluecardInterface,
} from '../../../shared/bluecard';
import { yuanToFen } from '../../../shared/money';
import { formatChinaTime, parseChinaTime } from '../../../shared/time';
import { decodePlate, normalizePlate } from '../../../shared/plate';

const DIR = path.join(__dirname, '../../fixtures/bluecard');
const files = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8'));

/** Parse or fail the test with the issues in the message. */
function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: unknown[] } } }, v: unknown): T {
  const r = schema.safeParse(v);
  if (!r.success) throw new Error(JSON.stringify(r.error.issues, null, 2));
  return r.data;
}

const parts = (name: string) => {
  const m = /^(4\.\d+)-(request|answer)(?:-(.+))?\.json$/.exec(name);
  if (!m) throw new Error(`unexpected fixture name ${name}`);
  return { section: m[1], kind: m[2] as 'request' | 'answer', variant: m[3] ?? '' };
};

const registry = bluecardInterfaces as Record<string, BluecardInterface>;

/** Tolerant schema of a fixture: whoever sent it, read it liberally. */
function tolerantSchema(name: string) {
  const { section, kind } = parts(name);
  const i = registry[section];
  if (kind === 'request') return i.direction === 'up' ? i.request : i.mirror.request;
  return i.direction === 'up' ? i.mirror.answer : i.answer;
}

/** Exact schema of a fixture that is something we send (down request, up answer); undefined otherwise. */
function exactSchema(name: string) {
  const { section, kind } = parts(name);
  const i = registry[section];
  if (kind === 'request') return i.direction === 'down' ? i.request : undefined;
  return i.direction === 'up' ? i.answer : undefined;
}

/** Examples of what we send that our exact schemas refuse, and the first issue path each must name. */
const EXACT_REJECTS: Record<string, (string | number)[][]> = {
  '4.5-request.json': [['getTime']], // getTimes without getTime (we send both, equal)
  '4.6-request.json': [['datas', 0, 'areasAndValidity', 0, 'areaId']], // "14" where the table says Int
  '4.13-answer-success.json': [['status']], // "status": ""
  '4.16-answer-success-qrcode.json': [['datas', 'timeStamp']], // a number, not a string
  '4.16-answer-success-agreement.json': [['datas', 'timeStamp'], ['datas', 'agreement', 'totalFee'], ['datas', 'agreement']],
  '4.24-answer-success.json': [
    ['datas', 'payContent', 'payCharge'],
    ['datas', 'payContent'],
    ['datas', 'discountContent', 'end'],
    ['datas', 'discountContent'],
  ],
};

describe('every Bluecard example is a fixture', () => {
  it('has a request and an answer fixture for every section 4.1–4.34', () => {
    for (let n = 1; n <= 34; n++) {
      const names = files.filter((f) => f.startsWith(`4.${n}-`));
      expect({ section: `4.${n}`, request: names.some((f) => f.includes('-request')), answer: names.some((f) => f.includes('-answer')) }).toEqual({
        section: `4.${n}`,
        request: true,
        answer: true,
      });
    }
  });

  it('documents every fixture in the README or transcribes it verbatim', () => {
    const readme = fs.readFileSync(path.join(DIR, 'README.md'), 'utf8');
    expect(readme).toMatch(/Files not listed below are verbatim transcriptions/);
    // Every file the README names exists.
    for (const m of readme.matchAll(/(4\.\d+-[a-z-]+\.json)/g)) expect(files).toContain(m[1]);
  });
});

describe.each(files.filter((f) => !f.startsWith('4.12-')))('fixture %s', (name) => {
  it('parses with the tolerant schema of its section', () => {
    parse(tolerantSchema(name), load(name));
  });

  const exact = exactSchema(name);
  if (exact && EXACT_REJECTS[name]) {
    it('is refused by our exact schema, naming the quirky fields', () => {
      const r = exact.safeParse(load(name));
      expect(r.success).toBe(false);
      expect(r.error!.issues.map((i) => i.path)).toEqual(EXACT_REJECTS[name]);
    });
  } else if (exact) {
    it('also parses with our exact schema (we could send it as is)', () => {
      parse(exact, load(name));
    });
  }
});

describe('4.12 alterCarType (deprecated, types only)', () => {
  it('request example has exactly the documented keys and a known userType', () => {
    const r = load('4.12-request.json') as Record<string, string>;
    expect(Object.keys(r).sort()).toEqual([...ALTER_CAR_TYPE_REQUEST_KEYS].sort());
    expect(Object.keys(USER_TYPES)).toContain(r.userType);
  });
  it('answer examples parse as {timeStamp} answers', () => {
    expect(parse(bluecardAnswer(timeStampDatasTolerant), load('4.12-answer-success.json'))).toMatchObject({
      status: 'success',
      datas: { timeStamp: '15312925080301' },
    });
    expect(parse(bluecardAnswer(timeStampDatasTolerant), load('4.12-answer-fail.json'))).toEqual({ status: 'fail', errorCode: '失败原因' });
  });
});

describe('coerced and kept values', () => {
  it('4.1 heartbeat: counts, areas', () => {
    const h = parse(heartbeatRequest, load('4.1-request.json'));
    expect(h.freeSpaceCount).toBe(1500);
    expect(h.areaList).toHaveLength(2);
    expect(h.areaList[0]).toMatchObject({ areaName: '中关村软件园一号院', lastSpaceCount: 100, areaId: 1 });
  });

  it('4.2 entry: plate kept as spelled, nested objects parsed', () => {
    const e = parse(entryRecordsRequest, load('4.2-request.json'));
    expect(e.datas[0]).toMatchObject({ plate: '京 A12345', orderId: '1', confidence: 100, inTime: '2018-03-16 11:41:15' });
    expect(e.datas[0].userInfo.userName).toBe('张月');
    expect(e.datas[0].placeInfo[0].memo).toBe('currentArea');
  });

  it('4.3 exit: confidence "98" → 98, size 2 with one record accepted, money kept as yuan strings', () => {
    const x = parse(exitRecordsRequest, load('4.3-request.json'));
    expect(x.size).toBe(2);
    expect(x.datas).toHaveLength(1);
    const r = x.datas[0];
    expect(r.carInfo.confidence).toBe(98);
    expect(r.carInfo.plate).toBe('京 A00000');
    const s = r.chargeStatistics;
    expect(yuanToFen(s.charge)).toBe(yuanToFen(s.onLineCharge) + yuanToFen(s.offLineCharge) + yuanToFen(s.profitChargeTotal));
    expect(r.chargeList.map((c) => c.payCharge)).toEqual(['5', '3']);
  });

  it('4.4 answer: the priced stay', () => {
    const a = parse(getChargebfAnswer, load('4.4-answer-success.json'));
    if (a.status !== 'success') throw new Error('expected success');
    expect(yuanToFen(a.datas.payCharge)).toBe(5);
    expect(a.datas).toMatchObject({ outTradeNo: '1_0_212_165002', paidfreeTime: '15', plate: '粤 Z00006', imgName: '1902490001_20190225163256_0000000023_test_zip.jpg^23' });
    expect(a.errorCode).toBe('');
  });

  it('4.5 request: getTimes alone (the example) is read as both getTime and getTimes', () => {
    const example = load('4.5-request.json') as Record<string, unknown>;
    expect(example).not.toHaveProperty('getTime');
    const p = parse(sendPayResRequestTolerant, example);
    expect(p.getTime).toBe('2018-03-29 17:28:02');
    expect(p.getTimes).toBe('2018-03-29 17:28:02');
  });

  it('4.6 request: areaId "14" → 14 when read tolerantly', () => {
    const w = parse(synWhiteRequestTolerant, load('4.6-request.json'));
    expect(w.datas[0].areasAndValidity[0].areaId).toBe(14);
    expect(w.datas[1].areasAndValidity).toEqual([]);
  });

  it('4.8 answer: datas is an array', () => {
    const a = parse(queryWhiteAnswer, load('4.8-answer-success.json'));
    if (a.status !== 'success') throw new Error('expected success');
    expect(a.datas[0]).toMatchObject({ carType: '线上月租', start: '2019-02-25', timeStamp: '1551084595996' });
  });

  it('4.13 answer: "status": "" with datas reads as success; numeric timeStamp → string', () => {
    const a = parse(preExitPricingAnswerTolerant, load('4.13-answer-success.json'));
    expect(a.status).toBe('success');
    if (a.status !== 'success') return;
    expect(a.datas).toEqual({ payCharge: '5.00', realCharge: '0', payKind: '神鲸支付', timeStamp: '1551084595996', chargeList: [] });
  });

  it('4.14 image: base64 kept raw, repairBase64 puts the "+" back', () => {
    const i = parse(imageUploadRequest, load('4.14-request.json'));
    expect(i.image).toBe('/9j/4AAQSkZJRgAB    AP/Z');
    expect(i.imageName).toBe('1806490001_20180101120101_1.jpg^17');
    const fixed = repairBase64(i.image);
    expect(fixed).toBe('/9j/4AAQSkZJRgAB++++AP/Z');
    expect(Buffer.from(fixed, 'base64').subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  it('4.16 answers: "totalFee " → totalFee "2.0"; numeric timeStamp → string', () => {
    const a = parse(withholdOrQrAnswerTolerant, load('4.16-answer-success-agreement.json'));
    if (a.status !== 'success') throw new Error('expected success');
    expect(a.datas.agreement).toEqual({ outTradeNo: '1234854581 _1245', payType: '微信', totalFee: '2.0', tradeNo: '1252', userId: '' });
    expect(yuanToFen(a.datas.agreement!.totalFee)).toBe(200);
    expect(a.datas.timeStamp).toBe('');
    const q = parse(withholdOrQrAnswerTolerant, load('4.16-answer-success-qrcode.json'));
    if (q.status !== 'success') throw new Error('expected success');
    expect(q.datas.timeStamp).toBe('1551082539429');
    expect(q.datas.qrCode).toMatch(/^https:\/\/mobilecodec\.alipay\.com\//);
    expect(q.datas.agreement).toBeUndefined();
  });

  it('4.16 request (quote repaired) parses', () => {
    expect(parse(withholdOrQrRequest, load('4.16-request.json'))).toEqual({
      parkNumber: 'p180329111018',
      plate: '京 A466BD',
      outTradeNo: 'p180329111018_2_12121_122120',
      payCharge: '10',
    });
  });

  it('4.24 answer: spaced keys and values, payTypeId beside datas', () => {
    const a = parse(faceToFacePayAnswerTolerant, load('4.24-answer-success.json'));
    if (a.status !== 'success') throw new Error('expected success');
    expect(a.datas.payContent?.payCharge).toBe('5.5');
    expect(a.datas.discountContent?.end).toBe('2019-02-28 01:01:01');
    expect(a.payTypeId).toBe('31');
  });

  it('4.27 request: plateID kept raw; decodePlate handles the URL-encoded form', () => {
    const p = parse(channelPayRequest, load('4.27-request.json'));
    expect(p.plateID).toBe('京 A12345');
    const encoded = parse(channelPayRequest, { ...(load('4.27-request.json') as object), plateID: encodeURIComponent('京A12345') });
    expect(encoded.plateID).toBe('%E4%BA%ACA12345');
    expect(decodePlate(encoded.plateID)).toBe('京A12345');
    expect(normalizePlate(encoded.plateID)).toBe(normalizePlate(p.plateID));
  });

  it('4.28 requests: confidence "100" → 100, inOutType kept', () => {
    const entry = parse(openGateRequest, load('4.28-request-entry.json'));
    const exit = parse(openGateRequest, load('4.28-request-exit.json'));
    expect([entry.confidence, entry.inOutType, exit.inOutType, entry.method]).toEqual([100, 1, 2, 'opengate']);
  });

  it('4.28 / 4.31 / 4.32 dispatch on method through commonUpRequest', () => {
    expect(parse(commonUpRequest, load('4.28-request-entry.json')).method).toBe('opengate');
    expect(parse(commonUpRequest, load('4.31-request.json')).method).toBe('parkingspacefee');
    expect(parse(commonUpRequest, load('4.32-request.json')).method).toBe('fixedListUp');
  });

  it('4.30 answer: "inTime " with spaces inside → inTime, a valid China time', () => {
    const a = parse(unlicensedCarOutAnswer, load('4.30-answer-success.json'));
    if (a.status !== 'success') throw new Error('expected success');
    expect(a.datas.inTime).toBe('2019 - 02 - 14 12: 02: 45');
    expect(formatChinaTime(parseChinaTime(a.datas.inTime))).toBe('2019-02-14 12:02:45');
    expect(a.datas.orderId).toBe('1354');
  });

  it('4.31 renewals: "/"-joined plates', () => {
    const r = parse(renewalsRequest, load('4.31-request.json'));
    expect(splitPlates(r.datas[0].plate)).toEqual(['京 Q1NY80', '京 N830S1', '京 Q60K22', '京 0AC677']);
    expect(r.datas[0].feeMonth).toBe('3');
  });

  it('4.32 whitelist sync: no fixedId in the example → undefined', () => {
    const r = parse(fixedListUpRequest, load('4.32-request.json'));
    expect(r.datas[0].fixedId).toBeUndefined();
    expect(r.datas[0].operate).toBe('1');
    const { operate: _dropped, ...withoutOperate } = (load('4.32-request.json') as { datas: Record<string, unknown>[] }).datas[0];
    const again = parse(fixedListUpRequest, { ...(load('4.32-request.json') as object), datas: [withoutOperate] });
    expect(again.datas[0].operate).toBe('1'); // missing operate = add (upsert)
  });

  it('4.34 answer: duplicated "spaceId" — JSON keeps the last; missing layerName → ""', () => {
    const a = parse(getSpaceStatusByPlateAnswer, load('4.34-answer-success.json'));
    if (a.status !== 'success') throw new Error('expected success');
    expect(a.datas[0]).toMatchObject({ spaceId: 'G001', layerName: '', space_x: '0.078', plate: '京 A00001' });
  });
});

/**
 * Test support for the Bluecard sandbox: a tiny real HTTP receiver that plays ParkPay's inbound side and
 * records what arrives, a down-call helper, and valid exact bodies for every down interface.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../../../server/src/core/clock';
import { bluecardSign } from '../../../../server/src/adapter/bluecard/requests';
import {
  ClockScheduler,
  startBluecardSandbox,
  type BluecardSandbox,
  type BluecardSandboxOptions,
  type ParkDefinition,
} from '../../../../server/sandbox/bluecard';

/** 2026-01-15 10:00:00 China time. */
export const T0 = Date.UTC(2026, 0, 15, 2, 0, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;

export const PN = 'p_test_001';
export const KEY = 'test-key-001';
export const PN2 = 'p_test_002';
export const KEY2 = 'test-key-002';

export function testParks(): ParkDefinition[] {
  return [
    {
      parkNumber: PN,
      key: KEY,
      name: '测试停车场',
      areas: [
        { id: 1, name: '地面', spaces: 50, bookable: 5 },
        { id: 2, name: '地下', spaces: 2, bookable: 1 },
      ],
      lanes: [
        { passagewayId: '1', name: '东门入口', direction: 'in', sourceAreaId: '0', targetAreaId: '1' },
        { passagewayId: '2', name: '东门出口', direction: 'out', sourceAreaId: '1', targetAreaId: '0' },
        { passagewayId: '3', name: '西门入口', direction: 'in', sourceAreaId: '0', targetAreaId: '2' },
        { passagewayId: '4', name: '西门出口', direction: 'out', sourceAreaId: '2', targetAreaId: '0' },
      ],
      spaces: [
        { spaceId: 'A001', areaId: 1, layerId: '001', layerName: '地面一层', x: 0.1, y: 0.2 },
        { spaceId: 'A002', areaId: 1, layerId: '001', layerName: '地面一层', x: 0.2, y: 0.2 },
        { spaceId: 'B001', areaId: 2, layerId: '002', layerName: '地下一层', x: 0.5, y: 0.6 },
      ],
    },
    {
      parkNumber: PN2,
      key: KEY2,
      name: '第二停车场',
      areas: [{ id: 1, name: '全场', spaces: 10 }],
      lanes: [
        { passagewayId: '1', name: '入口', direction: 'in', sourceAreaId: '0', targetAreaId: '1' },
        { passagewayId: '2', name: '出口', direction: 'out', sourceAreaId: '1', targetAreaId: '0' },
      ],
    },
  ];
}

export interface Received {
  path: string;
  sign: string;
  contentType: string;
  body: Record<string, unknown>;
}

export type Reply = { status?: number; body?: unknown; raw?: string } | 'hangup';

/** ParkPay's inbound side, played for real over HTTP. */
export class Receiver {
  readonly calls: Received[] = [];
  /** The answer to each call; default: success with a timeStamp. */
  reply: (call: Received) => Reply = () => ({ body: { status: 'success', datas: { timeStamp: String(Date.now()) } } });
  url = '';
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        body = { unparsable: Buffer.concat(chunks).toString('utf8') };
      }
      const call: Received = {
        path: req.url ?? '',
        sign: String(req.headers.sign ?? ''),
        contentType: String(req.headers['content-type'] ?? ''),
        body,
      };
      this.calls.push(call);
      const r = this.reply(call);
      if (r === 'hangup') {
        req.socket.destroy();
        return;
      }
      res.writeHead(r.status ?? 200, { 'content-type': 'application/json' });
      res.end(r.raw ?? JSON.stringify(r.body ?? {}));
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  on(path: string): Received[] {
    return this.calls.filter((c) => c.path === path);
  }
}

/** A sandbox on a ManualClock with a non-polling scheduler: time moves only when a test moves it. */
export async function startTestSandbox(
  receiver: Receiver | undefined,
  extra: Partial<BluecardSandboxOptions> = {},
): Promise<{ sb: BluecardSandbox; clock: ManualClock; errors: unknown[] }> {
  const clock = new ManualClock(T0);
  const errors: unknown[] = [];
  const sb = await startBluecardSandbox({
    parks: testParks(),
    parkPayBaseUrl: receiver?.url,
    clock,
    scheduler: new ClockScheduler(clock),
    heartbeatMs: 0,
    announceLanesOnStart: false,
    orderIdStart: 1001,
    onError: (e) => errors.push(e),
    ...extra,
  });
  return { sb, clock, errors };
}

export interface DownAnswer {
  httpStatus: number;
  status?: string;
  errorCode?: string;
  datas?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  raw: string;
}

/** POST a down call the way ParkPay's client does (signed for `parkNumber` with `key` unless `sign` is given). */
export async function down(
  sb: BluecardSandbox,
  name: string,
  body: Record<string, unknown>,
  opts: { key?: string; sign?: string | null; contentType?: string } = {},
): Promise<DownAnswer> {
  const parkNumber = String(body.parkNumber);
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/json;charset=UTF-8' };
  const sign = opts.sign === undefined ? bluecardSign(opts.key ?? (parkNumber === PN2 ? KEY2 : KEY), parkNumber) : opts.sign;
  if (sign !== null) headers.sign = sign;
  const res = await fetch(`${sb.url}/bcopenapi/out/${name}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const raw = await res.text();
  let json: { status?: string; errorCode?: string; datas?: unknown } = {};
  try {
    json = JSON.parse(raw);
  } catch {
    /* left empty: the caller looks at raw */
  }
  return { httpStatus: res.status, status: json.status, errorCode: json.errorCode, datas: json.datas, raw };
}

/** Control API call. */
export async function control(sb: BluecardSandbox, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sb.url}/sandbox${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A valid exact request body for every down interface (by path tail). */
export function validBodies(parkNumber: string): Record<string, Record<string, unknown>> {
  const white = {
    plate: '京A466BD',
    chargeType: '不收费',
    name: '李月',
    certificate: '',
    address: '',
    phone: '',
    plateColor: '蓝牌',
    start: '2026-01-01',
    end: '2026-12-31',
    dept: '',
    carType: '月租车',
    memo: '',
    areasAndValidity: [],
  };
  return {
    getChargebf: { parkNumber, orderId: '1001', plate: '', wxOpenId: '', ticketCode: '', couponTime: '0' },
    sendPayRes: {
      parkNumber,
      orderId: '1001',
      plate: '京A12345',
      payCharge: '4.00',
      realCharge: '4.00',
      payTime: '2026-01-15 11:00:00',
      payType: '微信',
      payChannel: '提前付',
      getTime: '2026-01-15 11:00:00',
      getTimes: '2026-01-15 11:00:00',
      transactionID: 'TX-forged',
      outTradeNo: `${parkNumber}_0_1001_110000`,
    },
    synWhite: { parkNumber, size: 1, datas: [white] },
    delWhite: { parkNumber, plate: '京A466BD' },
    queryWhite: { parkNumber, size: 1, datas: [{ plate: '京A466BD' }] },
    synBlack: { parkNumber, source: '线上', size: 1, datas: [{ plate: '京B00001', memo: '' }] },
    delBlack: { parkNumber, plate: '京B00001' },
    queryBlack: { parkNumber, size: 1, datas: [{ plate: '京B00001' }] },
    synBookingCar: {
      parkNumber,
      datas: [
        {
          plate: '京C00001',
          start: '2026-01-15 12:00:00',
          end: '2026-01-15 18:00:00',
          areaId: '0',
          flag: '1',
          charge: '2.50',
          bookOrderId: 'BK-1',
          bookOrderTime: '2026-01-15 09:00:00',
          letInStartTime: '2026-01-15 12:00:00',
          letInEndTime: '2026-01-15 12:30:00',
          memo: '',
        },
      ],
    },
    queryBookingCar: { parkNumber, datas: { plateList: [], start: '', end: '' } },
    queryImgByName: { parkNumber, datas: ['nope.jpg'] },
    RemoteLiftRod: { parkNumber, passagewayId: '1' },
    coupon: {
      parkNumber,
      datas: [{ id: '1', couponCode: 'CP-forged', couponModeId: '0', end: '2026-01-16 00:00:00', orderId: '1001', plate: '', position: '60' }],
    },
    unlicensedCarIn: { parkNumber, method: 'unlicensedCarIn', codeKind: '1', authId: 'o-forged', passagewayId: '1', ephemeralPlate: '' },
    unlicensedCarOut: { parkNumber, method: 'unlicensedCarOut', codeKind: '1', authId: 'o-forged', passagewayId: '2', ephemeralPlate: '' },
    getAllSpaceStatus: { parkNumber, method: 'getAllSpaceStatus' },
    getSpaceStatusByPlate: { parkNumber, method: 'getSpaceStatusByPlate', plate: '' },
  };
}

export const signOf = bluecardSign;

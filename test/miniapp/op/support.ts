/** Operator pages under jsdom: a stored operator session, views as the server answers them, Taro's file APIs. */
import Taro from '../support/taro-mock';

export const OP_TOKEN = 'op-tok-1';

export function operator(role: 'admin' | 'operator' | 'merchant' = 'admin', parks: string[] = []) {
  return { id: 'op_1', username: 'demo-admin', role, parks, displayName: '演示管理员', disabled: false, createdAt: '2026-11-01T00:00:00.000Z', lastLoginAt: null };
}

export function opSessionAnswer(role: 'admin' | 'operator' | 'merchant' = 'admin', token = OP_TOKEN) {
  return { token, expiresAt: new Date(Date.now() + 12 * 3_600_000).toISOString(), operator: operator(role, role === 'admin' ? [] : ['p_demo_001']) };
}

/** Store an operator session, as a login would have. */
export function opLoggedIn(role: 'admin' | 'operator' | 'merchant' = 'admin', token = OP_TOKEN): void {
  Taro.setStorageSync('parkpay.opSession', opSessionAnswer(role, token));
}

export function park(over: Record<string, unknown> = {}) {
  return {
    parkNumber: 'p_demo_001',
    name: '示例停车场',
    bluecardBaseUrl: 'http://127.0.0.1:8081',
    hasKey: true,
    settings: {},
    effective: {
      laneQrProvider: 'wechat',
      channelPayPolicy: 'secured',
      openGate: { blacklist: true, bookings: true },
      withholding: { maxPerDeductionFen: 10_000, maxPerDayFen: 20_000 },
      defaulted: ['laneQrProvider', 'channelPayPolicy', 'openGate.blacklist', 'openGate.bookings', 'withholding.maxPerDeductionFen', 'withholding.maxPerDayFen'],
    },
    ...over,
  };
}

export function lane(id: string, over: Record<string, unknown> = {}) {
  const base = `/api/op/parks/p_demo_001/lanes/${id}`;
  return {
    parkNumber: 'p_demo_001',
    passagewayId: id,
    name: `车道${id}`,
    lotName: `车道${id}`,
    direction: 'in',
    directionFrom: 'areas',
    note: null,
    sourceAreaId: '0',
    targetAreaId: '1',
    lotUpdatedAt: '2026-11-28T02:00:00.000Z',
    link: `https://parkpay.example.com/q/p_demo_001/${id}`,
    codes: { png: `${base}/qr.png`, svg: `${base}/qr.svg`, poster: `${base}/poster.pdf` },
    ...over,
  };
}

/** Taro APIs the shared mock does not have: download and open a document, share a file. */
export const fileApis = {
  downloadFile: jest.fn(),
  openDocument: jest.fn(() => Promise.resolve({ errMsg: 'openDocument:ok' })),
  shareFileMessage: jest.fn(() => Promise.resolve({ errMsg: 'shareFileMessage:ok' })),
};
Object.assign(Taro as unknown as Record<string, unknown>, fileApis);

/** PNG-ish bytes (the signature is enough for a data URL). */
export const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]).buffer;

// jsdom has no TextEncoder/TextDecoder; browsers and the H5 build do.
import { TextDecoder as NodeTextDecoder, TextEncoder as NodeTextEncoder } from 'node:util';
Object.assign(globalThis, { TextEncoder: NodeTextEncoder, TextDecoder: NodeTextDecoder });

// Taro's <Input> web component has no inner <input> under jsdom and logs a TypeError from its value watcher
// on each change (harmless: the React side gets the value). Only that one message is kept out of the output.
const consoleError = console.error.bind(console);
jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
  const first = args[0];
  if (first instanceof Error && /taro-input-core/.test(first.stack ?? '')) return;
  consoleError(...args);
});

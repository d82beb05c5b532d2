/**
 * What passes between the lot and ParkPay, as the lot's side sees it: every up call (lot → ParkPay, 4.1–4.32)
 * and every down call (ParkPay → lot, /bcopenapi/out/…), with its outcome and how long it took, and every
 * time a barrier opened. The demo's playground shows both live; nothing here changes what the lot does.
 */

/** Short Chinese names of the interfaces, by section (the spec's own titles, shortened). */
export const SECTION_TITLES: Record<string, string> = {
  '4.1': '心跳',
  '4.2': '入场记录',
  '4.3': '出场记录',
  '4.4': '查询停车费',
  '4.5': '下发支付结果',
  '4.6': '同步白名单',
  '4.7': '删除白名单',
  '4.8': '查询白名单',
  '4.9': '同步黑名单',
  '4.10': '删除黑名单',
  '4.11': '查询黑名单',
  '4.13': '出场前计费',
  '4.14': '图片',
  '4.15': '收费记录',
  '4.16': '代扣或支付二维码',
  '4.17': '二维码支付结果',
  '4.18': '预约车',
  '4.19': '查询预约',
  '4.20': '查询图片',
  '4.21': '通道信息',
  '4.22': '远程抬杆',
  '4.23': '优惠券',
  '4.24': '当面付',
  '4.25': '当面付查询',
  '4.26': '当面付撤销',
  '4.27': '第三方通道支付',
  '4.28': '开闸请求',
  '4.29': '无牌车入场',
  '4.30': '无牌车出场',
  '4.31': '固定车续费',
  '4.32': '白名单同步',
  '4.33': '车位状态',
  '4.34': '按车牌查车位',
};

export interface LotCall {
  seq: number;
  /** Sandbox clock when the call started. */
  at: number;
  /** up: the lot calls ParkPay; down: ParkPay calls the lot. */
  direction: 'up' | 'down';
  parkNumber?: string;
  section: string;
  /** The interface's name (up: ParkPay's path tail; down: Bluecard's /bcopenapi/out/ name). */
  name: string;
  title: string;
  /** success / fail / self: the answer's status; error: no usable answer; fault: a fault the sandbox injected. */
  outcome: 'success' | 'fail' | 'self' | 'error' | 'fault';
  httpStatus?: number;
  /** Real milliseconds the call took. */
  ms: number;
  /** What it was about (plate, orderId, amount) and why it failed. */
  detail?: string;
}

export interface GateEvent {
  seq: number;
  /** Sandbox clock. */
  at: number;
  parkNumber: string;
  passagewayId: string;
  /** in: a car let in; out: a car let out; lift: the barrier lifted with nobody waiting (4.22). */
  kind: 'in' | 'out' | 'lift';
  plate?: string;
  orderId?: string;
  /** How it opened (自动抬杆, 扫码放行, 远程抬杆, 手动放行…). */
  how?: string;
}

/** A bounded log: the newest `max` entries, each with a sequence number readers page by. */
export class Journal<T extends { seq: number }> {
  private entries: T[] = [];
  private seq = 0;

  constructor(private readonly max = 500) {}

  add(entry: Omit<T, 'seq'>): T {
    const full = { ...entry, seq: ++this.seq } as T;
    this.entries.push(full);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    return full;
  }

  /** Entries after `seq` (all kept ones when 0), oldest first. */
  since(seq = 0): T[] {
    return this.entries.filter((e) => e.seq > seq);
  }

  last(): number {
    return this.seq;
  }

  clear(): void {
    this.entries = [];
  }
}

/** A few words about a body: its plate, orderId and amount, wherever they sit (datas[0] for batches). */
export function aboutBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  const first = Array.isArray(b.datas) && typeof b.datas[0] === 'object' && b.datas[0] !== null ? (b.datas[0] as Record<string, unknown>) : {};
  const pick = (k: string) => (typeof b[k] === 'string' && b[k] !== '' ? (b[k] as string) : typeof first[k] === 'string' && first[k] !== '' ? (first[k] as string) : undefined);
  const carInfo = typeof first.carInfo === 'object' && first.carInfo !== null ? (first.carInfo as Record<string, unknown>) : {};
  const plateID = typeof b.plateID === 'string' ? safeDecode(b.plateID) : undefined;
  const plate = pick('plate') ?? (typeof carInfo.plate === 'string' && carInfo.plate !== '' ? carInfo.plate : undefined) ?? plateID;
  const parts = [
    plate,
    pick('orderId') ? `#${pick('orderId')}` : undefined,
    pick('realCharge') ? `¥${pick('realCharge')}` : pick('payCharge') ? `¥${pick('payCharge')}` : undefined,
    Array.isArray(b.datas) && b.datas.length > 1 ? `×${b.datas.length}` : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length ? parts.join(' ') : undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

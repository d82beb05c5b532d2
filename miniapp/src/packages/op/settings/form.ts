/**
 * The park settings form: what the operator sees (the values in effect, defaults included) and the update
 * body with only what changed (settings merge field by field on the server).
 */
import { fenToYuan, isYuan, yuanToFen } from '@shared/money';
import type { OpParkView } from '@shared/api/op-parks';

export interface ParkForm {
  name: string;
  laneQrProvider: 'wechat' | 'alipay' | '';
  channelPayPolicy: 'secured' | 'accepted';
  blacklistGate: boolean;
  bookingsGate: boolean;
  /** Withholding caps, yuan as typed. */
  maxPerDeduction: string;
  maxPerDay: string;
  /** 收费标准 shown to drivers. */
  tariffText: string;
  /** Minutes as typed; '' = not said. */
  freeMinutes: string;
  paidFreeMinutes: string;
  phone: string;
  /** Where the park is: drivers find the park by it in the park list. */
  address: string;
  /** Admins only. */
  bluecardBaseUrl: string;
  /** Write-only: empty keeps the key. */
  key: string;
}

const minutesOf = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));

/** The form as the park is now: each setting as it applies, the park's own value or the default. */
export function formOf(p: OpParkView): ParkForm {
  const svc = p.settings.service ?? {};
  return {
    name: p.name ?? '',
    laneQrProvider: p.settings.laneQrProvider ?? p.effective.laneQrProvider ?? '',
    channelPayPolicy: p.settings.channelPayPolicy ?? p.effective.channelPayPolicy,
    blacklistGate: p.effective.openGate.blacklist,
    bookingsGate: p.effective.openGate.bookings,
    maxPerDeduction: fenToYuan(p.effective.withholding.maxPerDeductionFen),
    maxPerDay: fenToYuan(p.effective.withholding.maxPerDayFen),
    tariffText: svc.tariffText ?? '',
    freeMinutes: minutesOf(svc.freeMinutes),
    paidFreeMinutes: minutesOf(svc.paidFreeMinutes),
    phone: svc.phone ?? '',
    address: svc.address ?? '',
    bluecardBaseUrl: p.bluecardBaseUrl,
    key: '',
  };
}

export interface ParkUpdate {
  name?: string;
  key?: string;
  bluecardBaseUrl?: string;
  settings?: {
    laneQrProvider?: 'wechat' | 'alipay';
    channelPayPolicy?: 'secured' | 'accepted';
    openGate?: { blacklist?: boolean; bookings?: boolean };
    withholding?: { maxPerDeductionFen?: number; maxPerDayFen?: number };
    service?: { tariffText?: string; freeMinutes?: number | null; paidFreeMinutes?: number | null; phone?: string; address?: string };
  };
}

/** Minutes as typed → a number, null (empty: not said), or undefined when it is not a whole number in range. */
export function readMinutes(s: string, max: number): number | null | undefined {
  const t = s.trim();
  if (t === '') return null;
  if (!/^\d{1,4}$/.test(t)) return undefined;
  const n = Number(t);
  return n <= max ? n : undefined;
}

/** Yuan as typed → fen, or undefined when it is not an amount up to ¥100,000. */
export function readCap(s: string): number | undefined {
  const t = s.trim();
  if (!isYuan(t)) return undefined;
  const fen = yuanToFen(t);
  return fen <= 10_000_000 ? fen : undefined;
}

/** What is wrong with the form (one line), or undefined. */
export function formProblem(f: ParkForm): string | undefined {
  if (readCap(f.maxPerDeduction) === undefined) return '无感支付单笔上限填金额（元，最多两位小数，不超过 100000）';
  if (readCap(f.maxPerDay) === undefined) return '无感支付每日上限填金额（元，最多两位小数，不超过 100000）';
  if (readMinutes(f.freeMinutes, 1440) === undefined) return '免费时长填 0 到 1440 的整数分钟，或留空';
  if (readMinutes(f.paidFreeMinutes, 240) === undefined) return '缴费后离场时间填 0 到 240 的整数分钟，或留空';
  if (f.tariffText.trim().length > 500) return '收费标准说明最多 500 个字';
  if (f.phone.trim().length > 32) return '服务电话最多 32 个字符';
  if (f.phone.trim() && !/^[0-9+\-\s()转]{3,32}$/.test(f.phone.trim())) return '服务电话只填数字、-、+、括号或“转”';
  if (f.address.trim().length > 200) return '车场地址最多 200 个字';
  return undefined;
}

/** The body of POST /api/op/parks/:parkNumber: changed fields only; undefined when nothing changed. */
export function parkChanges(p: OpParkView, f: ParkForm, admin: boolean): ParkUpdate | undefined {
  const was = formOf(p);
  const out: ParkUpdate = {};
  if (f.name.trim() !== was.name) out.name = f.name.trim();
  const settings: NonNullable<ParkUpdate['settings']> = {};
  if (f.laneQrProvider && f.laneQrProvider !== was.laneQrProvider) settings.laneQrProvider = f.laneQrProvider;
  if (f.channelPayPolicy !== was.channelPayPolicy) settings.channelPayPolicy = f.channelPayPolicy;
  const gate: { blacklist?: boolean; bookings?: boolean } = {};
  if (f.blacklistGate !== was.blacklistGate) gate.blacklist = f.blacklistGate;
  if (f.bookingsGate !== was.bookingsGate) gate.bookings = f.bookingsGate;
  if (Object.keys(gate).length) settings.openGate = gate;
  const caps: { maxPerDeductionFen?: number; maxPerDayFen?: number } = {};
  const perDeduction = readCap(f.maxPerDeduction);
  const perDay = readCap(f.maxPerDay);
  if (perDeduction !== undefined && perDeduction !== readCap(was.maxPerDeduction)) caps.maxPerDeductionFen = perDeduction;
  if (perDay !== undefined && perDay !== readCap(was.maxPerDay)) caps.maxPerDayFen = perDay;
  if (Object.keys(caps).length) settings.withholding = caps;
  const service: NonNullable<NonNullable<ParkUpdate['settings']>['service']> = {};
  if (f.tariffText.trim() !== was.tariffText) service.tariffText = f.tariffText.trim();
  const free = readMinutes(f.freeMinutes, 1440);
  if (free !== undefined && f.freeMinutes.trim() !== was.freeMinutes) service.freeMinutes = free;
  const paidFree = readMinutes(f.paidFreeMinutes, 240);
  if (paidFree !== undefined && f.paidFreeMinutes.trim() !== was.paidFreeMinutes) service.paidFreeMinutes = paidFree;
  if (f.phone.trim() !== was.phone) service.phone = f.phone.trim();
  if (f.address.trim() !== was.address) service.address = f.address.trim();
  if (Object.keys(service).length) settings.service = service;
  if (Object.keys(settings).length) out.settings = settings;
  if (admin) {
    if (f.bluecardBaseUrl.trim() && f.bluecardBaseUrl.trim() !== was.bluecardBaseUrl) out.bluecardBaseUrl = f.bluecardBaseUrl.trim();
    if (f.key) out.key = f.key;
  }
  return Object.keys(out).length ? out : undefined;
}

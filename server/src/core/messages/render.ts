/**
 * A message's values written for a template's keywords. WeChat checks each keyword's value by its type (the
 * keyword's name without its number; 订阅消息参数值内容限制): thing ≤ 20 characters, character_string ≤ 32 of
 * [\x21-\x7e], time "2019年10月1日 15:01", date "2019年10月1日", amount a currency and ≤ 10 digits, car_number
 * ≤ 8, number digits, phrase ≤ 5 Chinese characters. Alipay's keywords (keyword1…) take text ≤ 20 characters.
 * What does not fit is shortened (an ellipsis for text), never refused here.
 */
import { fenToYuan } from '../../../../shared/money';
import { normalizePlate } from '../../../../shared/plate';
import { formatChinaTime } from '../../../../shared/time';
import type { MessageKind, MessageValues } from './model';
import type { MessageSource } from './fields';

/** The sentence a kind's `note` carries. */
export const NOTES: Record<MessageKind, string> = {
  entry: '欢迎停车，离场前可在小程序缴费',
  payment: '请在免费离场时间内离场',
  free_exit_ending: '免费离场时间即将结束，请尽快离场',
  deduction: '已通过无感支付扣除停车费',
  refund: '款项将原路退回',
  pass_expiring: '月卡即将到期，请及时续费',
};

function dateTime(d: Date): string {
  const t = formatChinaTime(d); // yyyy-MM-dd HH:mm:ss
  return `${t.slice(0, 4)}年${Number(t.slice(5, 7))}月${Number(t.slice(8, 10))}日 ${t.slice(11, 16)}`;
}

function dateOnly(d: Date): string {
  return dateTime(d).split(' ')[0]!;
}

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** The value of one source as plain text (before the keyword's type shapes it). */
function text(source: MessageSource, v: MessageValues, kind: MessageKind): string | undefined {
  switch (source) {
    case 'parkName':
      return v.parkName;
    case 'plate':
      return v.plate;
    case 'amount':
      return v.amountFen !== undefined ? `${fenToYuan(v.amountFen)}元` : undefined;
    case 'inTime':
      return v.inTime ? dateTime(v.inTime) : undefined;
    case 'paidAt':
      return v.paidAt ? dateTime(v.paidAt) : undefined;
    case 'leaveBy':
      return v.leaveBy ? dateTime(v.leaveBy) : undefined;
    case 'refundedAt':
      return v.refundedAt ? dateTime(v.refundedAt) : undefined;
    case 'passEndsAt':
      return v.passEndsAt ? dateOnly(v.passEndsAt) : undefined;
    case 'minutesLeft':
      return v.minutesLeft !== undefined ? `${v.minutesLeft}分钟` : undefined;
    case 'daysLeft':
      return v.daysLeft !== undefined ? `${v.daysLeft}天` : undefined;
    case 'orderNo':
      return v.orderNo;
    case 'reason':
      return v.reason;
    case 'note':
      return NOTES[kind];
  }
}

/** A keyword's value: `source` of `values`, shaped for the keyword's type. */
export function renderKeyword(keyword: string, source: MessageSource, values: MessageValues, kind: MessageKind): string {
  const type = keyword.replace(/\d+$/, '');
  const raw = text(source, values, kind) ?? '-';
  switch (type) {
    case 'time':
      return raw;
    case 'date':
      return source === 'passEndsAt' || !/日 /.test(raw) ? raw : raw.split(' ')[0]!;
    case 'amount':
      return /元$/.test(raw) ? raw : `${raw}元`;
    case 'car_number': {
      const p = normalizePlate(raw);
      return [...p].length <= 8 ? p : [...p].slice(0, 8).join('');
    }
    case 'character_string':
      return raw.replace(/[^\x21-\x7e]/g, '').slice(0, 32) || '-';
    case 'number':
      return raw.replace(/[^\d.]/g, '') || '0';
    case 'phrase':
      return [...raw.replace(/[^\u4e00-\u9fff]/g, '')].slice(0, 5).join('') || '提醒';
    case 'thing':
    case 'keyword':
    default:
      return cut(raw, 20);
  }
}

/** Every keyword of a template filled. */
export function renderData(fields: Record<string, MessageSource>, values: MessageValues, kind: MessageKind): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, s]) => [k, renderKeyword(k, s, values, kind)]));
}

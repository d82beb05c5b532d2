/**
 * An audit entry as one sentence an operator reads ("张三 为 京A12345 发放 2 小时停车券（车场已接收）"),
 * built from its structured fields (shared/api/op-audit.ts says the facts of each action). A fact that is
 * missing (an older entry, a refusal before the facts were known) makes the sentence shorter, never wrong;
 * an action this console does not know yet is still a Chinese sentence.
 */
import type { AuditEntryView } from '@shared/api/op-accounts';
import type { AuditedAction, AuditFacts, AuditFactsByAction } from '@shared/api/op-audit';
import { fenToYuan } from '@shared/money';
import { formatChinaTime } from '@shared/time';
import { ROLE_NAMES } from '../services/session';

type Facts<A extends AuditedAction> = Partial<AuditFactsByAction[A]>;
type Builder<A extends AuditedAction> = (f: Facts<A>) => string;

const LIST = { white: '白名单', black: '黑名单' } as const;
const COUPON_STATUS = {
  issuing: '正在发送给车场',
  at_lot: '车场已接收',
  unconfirmed: '车场未确认，将自动重发',
  refused: '车场拒绝',
  used_at_exit: '出口已抵扣',
  revoked: '已撤销',
} as const;
const SYNC = { pending: '正在发送给车场', synced: '车场已同步', refused: '车场拒绝', failed: '车场未确认' } as const;
const DIRECTION = { in: '入口', out: '出口' } as const;
const LANE_QR = { wechat: '微信支付', alipay: '支付宝' } as const;
// The settings page's words, so the log names a setting as the operator saw it there.
const CHANNEL_POLICY = { secured: '钱到账才抬杆', accepted: '支付方担保即抬杆' } as const;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const onOff = (v: boolean) => (v ? '开启' : '关闭');
const quoted = (s: string) => `「${s}」`;

/** 120 → "2 小时", 90 → "1 小时 30 分钟", 30 → "30 分钟". */
export function minutesText(minutes: number): string {
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d ? `${d} 天` : '', h ? `${h} 小时` : '', m || (!d && !h) ? `${m} 分钟` : ''].filter(Boolean);
  return parts.join(' ');
}

const yuanText = (fen: number) => `¥${fenToYuan(fen)}`;

/** "2 小时停车券", "¥5.00 停车券", or "停车券" when the amount is not known. */
function couponText(f: { kind?: string; minutes?: number; fen?: number }): string {
  if (f.kind === 'hours' && num(f.minutes) !== undefined) return `${minutesText(f.minutes!)}停车券`;
  if (f.kind === 'money' && num(f.fen) !== undefined) return `${yuanText(f.fen!)} 停车券`;
  return '停车券';
}

function couponStatus(f: { status?: keyof typeof COUPON_STATUS; refusal?: string }): string {
  if (!f.status || !COUPON_STATUS[f.status]) return '';
  return `（${COUPON_STATUS[f.status]}${f.status === 'refused' && str(f.refusal) ? `：${f.refusal}` : ''}）`;
}

const laneOf = (f: { laneName?: string; passagewayId?: string }) => (str(f.laneName) ? quoted(f.laneName!) : str(f.passagewayId) ? `车道 ${f.passagewayId}` : '车道');
const listOf = (f: { list?: 'white' | 'black' }) => (f.list && LIST[f.list] ? LIST[f.list] : '名单');
const why = (reason: unknown) => (str(reason) ? `（原因：${reason as string}）` : '');

/** The park settings an update changed, each with its new value. */
function parkChanges(f: Facts<'POST /api/op/parks/:parkNumber'>): string[] {
  const out: string[] = [];
  if (f.name !== undefined) out.push(`车场名称改为${quoted(f.name)}`);
  if (f.bluecardBaseUrl !== undefined) out.push('修改了蓝卡云地址');
  if (f.keyChanged) out.push('更换了蓝卡密钥');
  if (f.laneQrProvider && LANE_QR[f.laneQrProvider]) out.push(`车道屏付款码改为${LANE_QR[f.laneQrProvider]}`);
  if (f.channelPayPolicy && CHANNEL_POLICY[f.channelPayPolicy]) out.push(`无感支付何时抬杆改为“${CHANNEL_POLICY[f.channelPayPolicy]}”`);
  if (typeof f.openGateBlacklist === 'boolean') out.push(`黑名单车辆禁止入场${onOff(f.openGateBlacklist)}`);
  if (typeof f.openGateBookings === 'boolean') out.push(`预约车辆自动开闸${onOff(f.openGateBookings)}`);
  if (num(f.withholdingMaxPerDeductionFen) !== undefined) out.push(`无感支付单笔上限改为 ${yuanText(f.withholdingMaxPerDeductionFen!)}`);
  if (num(f.withholdingMaxPerDayFen) !== undefined) out.push(`无感支付每日上限改为 ${yuanText(f.withholdingMaxPerDayFen!)}`);
  if (f.tariffText !== undefined) out.push(str(f.tariffText) ? '修改了收费标准说明' : '清空了收费标准说明');
  if (f.freeMinutes !== undefined) out.push(f.freeMinutes === null ? '免费时长改为按车场规则' : `免费时长改为 ${minutesText(f.freeMinutes)}`);
  if (f.paidFreeMinutes !== undefined) out.push(f.paidFreeMinutes === null ? '缴费后离场时间改为按车场规则' : `缴费后离场时间改为 ${minutesText(f.paidFreeMinutes)}`);
  if (f.phone !== undefined) out.push(str(f.phone) ? `服务电话改为 ${f.phone}` : '清空了服务电话');
  if (f.address !== undefined) out.push(str(f.address) ? `车场地址改为${quoted(f.address)}` : '清空了车场地址');
  return out;
}

/** An account edit, in words. */
function accountChanges(f: Facts<'POST /api/op/operators/:operatorId'>): string[] {
  const out: string[] = [];
  if (f.role && ROLE_NAMES[f.role]) out.push(`角色改为${ROLE_NAMES[f.role]}`);
  if (f.parks) out.push(`可管理车场改为 ${f.parks.join('、') || '无'}`);
  if (f.displayName !== undefined) out.push(f.displayName ? `姓名改为 ${f.displayName}` : '清空了姓名');
  if (f.passwordReset) out.push('重设了密码');
  if (f.disabled === true) out.push('停用了账号');
  if (f.disabled === false) out.push('启用了账号');
  return out;
}

function laneChanges(f: Facts<'POST /api/op/parks/:parkNumber/lanes/:passagewayId'>): string[] {
  const out: string[] = [];
  if (f.name !== undefined) out.push(f.name === null ? '显示名称恢复为车场的名称' : `显示名称改为${quoted(f.name)}`);
  if (f.direction !== undefined) out.push(f.direction === null ? '方向改为按区域自动判断' : `方向改为${DIRECTION[f.direction]}`);
  if (f.note !== undefined) out.push(f.note === null || f.note === '' ? '清空了备注' : `备注改为${quoted(f.note)}`);
  return out;
}

const changes = (list: string[], none: string) => (list.length ? `：${list.join('，')}` : none);

/** What each audited action did, after the operator's name. */
const ACTIONS: { [A in AuditedAction]: Builder<A> } = {
  'POST /api/op/auth/login': () => '登录了车场管理',
  'POST /api/op/auth/logout': () => '退出了登录',
  'POST /api/op/me/password': () => '修改了自己的密码',
  'POST /api/op/operators': (f) =>
    `创建了账号 ${f.username ?? ''}${f.role && ROLE_NAMES[f.role] ? `（${ROLE_NAMES[f.role]}${f.parks?.length ? `，车场 ${f.parks.join('、')}` : ''}）` : ''}`.replace(/ $/, ''),
  'POST /api/op/operators/:operatorId': (f) => `修改了账号 ${f.username ?? f.operatorId ?? ''}`.replace(/ $/, '') + changes(accountChanges(f), ''),
  'POST /api/op/parks': (f) => `登记了车场${f.name ? ` ${f.name}` : ''}${f.parkNumber ? `（${f.parkNumber}）` : ''}`,
  'POST /api/op/parks/:parkNumber': (f) => `修改了车场设置${changes(parkChanges(f), '')}`,
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId': (f) => `修改了${laneOf(f)}${changes(laneChanges(f), '的设置')}`,
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift-requests': (f) => `申请远程抬起${laneOf(f)}的道闸${why(f.reason)}`,
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift': (f) => `远程抬起了${laneOf(f)}的道闸${why(f.reason)}`,
  'POST /api/op/parks/:parkNumber/coupons': (f) => `为 ${f.plate ?? (f.orderId ? `停车记录 ${f.orderId} 的车辆` : '在场车辆')} 发放 ${couponText(f)}${couponStatus(f)}`,
  'POST /api/op/parks/:parkNumber/coupons/:couponCode/revoke': (f) => `撤销了${f.plate ? ` ${f.plate} 的 ` : ''}${couponText(f)}${f.plate ? '' : ` ${f.couponCode ?? ''}`.replace(/ $/, '')}`,
  'POST /api/op/parks/:parkNumber/coupons/:couponCode/redeliver': (f) => `重新发送了${f.plate ? ` ${f.plate} 的 ` : ''}${couponText(f)}${couponStatus(f)}`,
  'POST /api/op/parks/:parkNumber/fixed-coupons': (f) =>
    `生成了固定券码${f.code ? ` ${f.code}` : ''}（${couponText(f)}${num(f.maxUses) ? `，最多 ${f.maxUses} 次` : '，次数不限'}${f.end ? `，${formatChinaTime(Date.parse(f.end)).slice(0, 16)} 前有效` : ''}）${f.label ? `：${f.label}` : ''}`,
  'POST /api/op/parks/:parkNumber/fixed-coupons/:code/disable': (f) => `停用了固定券码 ${f.code ?? ''}${f.label ? `（${f.label}）` : ''}`.replace(/ $/, ''),
  'POST /api/op/parks/:parkNumber/fixed-coupons/:code/enable': (f) => `启用了固定券码 ${f.code ?? ''}${f.label ? `（${f.label}）` : ''}`.replace(/ $/, ''),
  'POST /api/op/parks/:parkNumber/lists/:list': (f) =>
    `${f.created === false ? `修改了${listOf(f)}中的 ${f.plate ?? ''}` : `把 ${f.plate ?? ''} 加入${listOf(f)}`}${f.syncState && SYNC[f.syncState] ? `（${SYNC[f.syncState]}${f.syncState === 'refused' && str(f.syncError) ? `：${f.syncError}` : ''}）` : ''}`,
  'DELETE /api/op/parks/:parkNumber/lists/:list/:plate': (f) => `从${listOf(f)}删除了 ${f.plate ?? ''}`.replace(/ $/, ''),
  'POST /api/op/parks/:parkNumber/lists/:list/clear': (f) => `申请删除${listOf(f)}的全部${num(f.count) !== undefined ? ` ${f.count} ` : ''}条记录`,
  'POST /api/op/parks/:parkNumber/lists/:list/clear/confirm': (f) => `删除了${listOf(f)}的全部记录${num(f.removed) !== undefined ? `（${f.removed} 条）` : ''}`,
  'POST /api/op/parks/:parkNumber/lists/:list/imports': (f) =>
    `向${listOf(f)}导入 CSV${num(f.rows) !== undefined ? `（${f.rows} 行${num(f.invalid) ? `，其中 ${f.invalid} 行格式错误` : ''}）` : ''}`,
  'POST /api/op/parks/:parkNumber/lists/:list/resync': (f) => `重新发送${listOf(f)}中车场未确认的记录${num(f.rows) !== undefined ? `（${f.rows} 条）` : ''}`,
  'POST /api/op/parks/:parkNumber/booking-offers': (f) =>
    `上架了预约产品${f.title ? quoted(f.title) : ''}${num(f.count) !== undefined && num(f.priceFen) !== undefined ? `（${f.count} 个车位，每个 ${yuanText(f.priceFen!)}）` : ''}`,
  'POST /api/op/parks/:parkNumber/booking-offers/:offerId/withdraw': (f) => `下架了预约产品${f.title ? quoted(f.title) : ''}`,
  'POST /api/op/parks/:parkNumber/bookings/:bookingNo/cancel': (f) => `取消了${f.plate ? ` ${f.plate} 的` : ''}预约${f.plate ? '' : ` ${f.bookingNo ?? ''}`.replace(/ $/, '')}并全额退款${why(f.reason)}`,
  'POST /api/op/parks/:parkNumber/bookings/reconcile': (f) => `与车场核对了预约${num(f.differences) !== undefined ? `（${f.differences ? `${f.differences} 条差异` : '没有差异'}）` : ''}`,
  'POST /api/op/parks/:parkNumber/invoices/:invoiceId/resend': (f) => `重新发送了电子发票${str(f.invoiceId) ? ` ${f.invoiceId}` : ''}`,
  'POST /api/op/parks/:parkNumber/pass-offer': (f) =>
    f.status === 'withdrawn'
      ? '停售了线上月卡'
      : `设置了线上月卡${Array.isArray(f.prices) && f.prices.length ? `（${f.prices.map((p) => `${p.months} 个月 ${yuanText(p.priceFen)}`).join('，')}）` : ''}`,
};

export const AUDIT_SENTENCE_ACTIONS = Object.keys(ACTIONS) as AuditedAction[];

/** Who did it: their name as it was, else the username. */
export const auditWho = (e: Pick<AuditEntryView, 'displayName' | 'username'>) => e.displayName || e.username;

/** What was done, without who ("为 京A12345 发放 2 小时停车券（车场已接收）"). */
export function auditWhat(e: Pick<AuditEntryView, 'action' | 'facts'>): string {
  const build = (ACTIONS as Record<string, Builder<AuditedAction> | undefined>)[e.action];
  if (build) return build((e.facts ?? {}) as AuditFacts as Facts<AuditedAction>);
  return e.action.startsWith('DELETE ') ? '删除了一项设置' : '修改了一项设置';
}

/**
 * The whole sentence. A refused action says that it did not happen, with why in the operator's words
 * (`reason`: the console's text of the error code).
 */
export function auditSentence(e: Pick<AuditEntryView, 'action' | 'facts' | 'displayName' | 'username' | 'result' | 'code'>, reason?: (code: string) => string): string {
  const what = auditWhat(e);
  if (e.result === 'ok') return `${auditWho(e)} ${what}`;
  const why = e.code && reason ? `：${reason(e.code)}` : '';
  if (e.action === 'POST /api/op/auth/login') return `${auditWho(e)} 登录失败${why}`;
  // "修改了…" → "尝试修改…，未成功": what was tried, not done.
  return `${auditWho(e)} 尝试${what.replace('了', '')}，未成功${why}`;
}

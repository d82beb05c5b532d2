/** What a failure means to an operator (the driver's texts, services/errors.ts, for the rest). */
import { ApiError } from '../../../services/api';
import { hhmm } from '../../../services/format';
import { errorText, type ErrorText } from '../../../services/errors';

/** A failure as the operator pages keep it: the API's code and message, and its details (a lock's retry time). */
export interface OpErr {
  code: string;
  message: string;
  details?: unknown;
}

/** Any thrown thing as an OpErr (errorOf of services/api.ts, keeping the answer's details). */
export function opErrorOf(e: unknown): OpErr {
  if (e instanceof ApiError) return e.details === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, details: e.details };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/**
 * When a locked login may be tried again, in the server's words: details.retryAfterSeconds (and
 * lockedUntil) of `login_locked`, else the minutes its message names; nothing known → "later".
 */
export function lockHint(e: OpErr, now = Date.now()): string {
  const d = (e.details ?? {}) as { retryAfterSeconds?: unknown; lockedUntil?: unknown };
  let seconds = typeof d.retryAfterSeconds === 'number' && d.retryAfterSeconds > 0 ? Math.ceil(d.retryAfterSeconds) : undefined;
  const until = typeof d.lockedUntil === 'string' && Number.isFinite(Date.parse(d.lockedUntil)) ? Date.parse(d.lockedUntil) : undefined;
  if (seconds === undefined && until !== undefined && until > now) seconds = Math.ceil((until - now) / 1000);
  if (seconds === undefined) {
    const m = /(\d+)\s*(?:more\s*)?minute/i.exec(e.message);
    if (m) seconds = Number(m[1]) * 60;
  }
  if (seconds === undefined) return '请稍后再试。';
  const wait = seconds < 60 ? `${seconds} 秒` : `${Math.ceil(seconds / 60)} 分钟`;
  return `请 ${wait}后再试（约 ${hhmm(until ?? now + seconds * 1000)} 解锁）。`;
}

const TEXTS: Record<string, ErrorText> = {
  unauthenticated: { title: '请重新登录', hint: '登录已过期或已在别处退出。', retry: false },
  invalid_credentials: { title: '用户名或密码不对', hint: '请检查后重试。', retry: false },
  // The hint comes from the server's answer (lockHint).
  login_locked: { title: '密码错误次数太多，账号暂时锁定', hint: '请稍后再试。', retry: false },
  account_disabled: { title: '账号已停用', hint: '请联系平台管理员。', retry: false },
  forbidden_park: { title: '没有这个车场的权限', hint: '请联系平台管理员。', retry: false },
  forbidden_role: { title: '当前角色不能做这个操作', hint: '请联系平台管理员。', retry: false },
  weak_password: { title: '新密码太简单', hint: '10–128 个字符，至少 4 种不同字符，不能包含用户名，不能与当前密码相同。', retry: false },
  invalid_username: { title: '用户名格式不对', hint: '3–64 个字符：小写字母、数字、_ . @ -，以字母或数字开头。', retry: false },
  username_taken: { title: '用户名已被使用', hint: '请换一个用户名。', retry: false },
  parks_required: { title: '请至少选择一个车场', hint: '车场管理员和商户只能管理指定的车场。', retry: false },
  park_unknown: { title: '没有这个车场', hint: '车场还没有登记。', retry: false },
  current_password_wrong: { title: '当前密码不对', hint: '请输入现在用的密码。', retry: false },
  invalid_amount: { title: '券的额度不对', hint: '时长 1 分钟到 7 天；金额 0.01 到 1000 元。', retry: false },
  invalid_end: { title: '有效期不对', hint: '有效期须在将来，最多 90 天。', retry: false },
  invalid_max_uses: { title: '使用次数上限不对', hint: '1 到 1000000，或留空不限。', retry: false },
  own_account: { title: '不能停用或降级自己的账号', hint: '请让另一位平台管理员操作。', retry: false },
  lane_unknown: { title: '没有这个车道', hint: '车场还没有上报这个车道（4.21）。', retry: false },
  confirmation_expired: { title: '确认已超时', hint: '抬杆确认 30 秒内有效，请重新发起。', retry: false },
  confirmation_used: { title: '这次确认已用过', hint: '再次抬杆请重新发起。', retry: false },
  confirmation_unknown: { title: '确认无效', hint: '请重新发起抬杆。', retry: false },
  lot_unreachable: { title: '车场系统暂时连不上', hint: '道闸可能已抬起也可能没有，请先查看现场再决定是否重试。', retry: true },
  lot_bad_answer: { title: '车场系统的应答无法识别', hint: '请稍后重试。', retry: true },
  plate_too_short: { title: '车牌至少输入 4 位', hint: '', retry: false },
  poster_font_missing: { title: '服务器缺少中文字体，无法生成海报', hint: '请管理员在服务器上安装 fonts-wqy-zenhei。', retry: false },
  invalid_url: { title: '地址格式不对', hint: '', retry: false },
  unsupported: { title: '此处不支持', hint: '', retry: false },
};

export function opErrorText(e: OpErr): ErrorText {
  if (e.code === 'login_locked') return { ...TEXTS.login_locked!, hint: lockHint(e) };
  const t = TEXTS[e.code];
  if (t) return e.code === 'lot_refused' || e.code === 'lot_unreachable' ? { ...t, hint: `${t.hint}${e.message ? `（${e.message}）` : ''}` } : t;
  if (e.code === 'lot_refused') return { title: '车场系统拒绝了这次请求', hint: e.message, retry: true };
  return errorText(e);
}

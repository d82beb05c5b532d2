/** What a failure means to an operator (the driver's texts, services/errors.ts, for the rest). */
import { errorText, type ErrorText } from '../../../services/errors';

const TEXTS: Record<string, ErrorText> = {
  unauthenticated: { title: '请重新登录', hint: '登录已过期或已在别处退出。', retry: false },
  invalid_credentials: { title: '用户名或密码不对', hint: '请检查后重试。', retry: false },
  login_locked: { title: '密码错误次数太多，账号暂时锁定', hint: '请 15 分钟后再试。', retry: false },
  account_disabled: { title: '账号已停用', hint: '请联系平台管理员。', retry: false },
  forbidden_park: { title: '没有这个车场的权限', hint: '请联系平台管理员。', retry: false },
  forbidden_role: { title: '当前角色不能做这个操作', hint: '请联系平台管理员。', retry: false },
  weak_password: { title: '新密码太简单', hint: '10–128 个字符，至少 4 种不同字符，不能包含用户名。', retry: false },
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

export function opErrorText(e: { code: string; message: string }): ErrorText {
  const t = TEXTS[e.code];
  if (t) return e.code === 'lot_refused' || e.code === 'lot_unreachable' ? { ...t, hint: `${t.hint}${e.message ? `（${e.message}）` : ''}` } : t;
  if (e.code === 'lot_refused') return { title: '车场系统拒绝了这次请求', hint: e.message, retry: true };
  return errorText(e);
}

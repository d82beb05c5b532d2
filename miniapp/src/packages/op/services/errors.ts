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

/**
 * Every error code the server may answer an operator (the shared/api contracts' `errors`, the common ones,
 * and the server's AppError codes; test/miniapp/op/error-texts.test.ts fails when one has no text here),
 * and the console's own (network, bad_response…), in the operator's words.
 */
export const OP_ERROR_TEXTS: Record<string, ErrorText> = {
  // Any endpoint
  validation_failed: { title: '填写的内容不符合要求', hint: '请检查后重试。', retry: false },
  bad_json: { title: '请求格式不对', hint: '请刷新页面后重试。', retry: true },
  body_too_large: { title: '内容太多，一次提交不下', hint: '请分几次提交（例如把 CSV 拆成几个文件）。', retry: false },
  unsupported_media_type: { title: '请求格式不对', hint: '请刷新页面后重试。', retry: true },
  internal: { title: '服务器出错了', hint: '已记录，请稍后重试；一直失败请联系平台管理员。', retry: true },
  network: { title: '网络连接失败', hint: '请检查网络后重试。', retry: true },
  bad_response: { title: '服务器的应答无法识别', hint: '请刷新页面（或更新小程序）后重试。', retry: true },
  unsupported: { title: '此处不支持', hint: '请在电脑浏览器中打开车场管理。', retry: false },
  rate_limited: { title: '操作太频繁', hint: '请稍后再试。', retry: true },
  not_found: { title: '没有找到', hint: '可能已被删除，请刷新后再看。', retry: false },
  // Sessions and rights
  unauthenticated: { title: '请重新登录', hint: '登录已过期或已在别处退出。', retry: false },
  invalid_credentials: { title: '用户名或密码不对', hint: '请检查后重试。', retry: false },
  // The hint comes from the server's answer (lockHint).
  login_locked: { title: '密码错误次数太多，账号暂时锁定', hint: '请稍后再试。', retry: false },
  account_disabled: { title: '账号已停用', hint: '请联系平台管理员。', retry: false },
  forbidden_park: { title: '没有这个车场的权限', hint: '请联系平台管理员。', retry: false },
  forbidden_role: { title: '当前角色不能做这个操作', hint: '请联系平台管理员。', retry: false },
  login_refused: { title: '登录被拒绝', hint: '请稍后重试。', retry: true },
  invalid_code: { title: '登录失败', hint: '请重试。', retry: true },
  link_expired: { title: '链接已过期', hint: '请刷新页面。', retry: true },
  // Accounts
  weak_password: { title: '新密码太简单', hint: '10–128 个字符，至少 4 种不同字符，不能包含用户名，不能与当前密码相同。', retry: false },
  invalid_username: { title: '用户名格式不对', hint: '3–64 个字符：小写字母、数字、_ . @ -，以字母或数字开头。', retry: false },
  username_taken: { title: '用户名已被使用', hint: '请换一个用户名。', retry: false },
  parks_required: { title: '请至少选择一个车场', hint: '车场管理员和商户只能管理指定的车场。', retry: false },
  current_password_wrong: { title: '当前密码不对', hint: '请输入现在用的密码。', retry: false },
  own_account: { title: '不能停用或降级自己的账号', hint: '请让另一位平台管理员操作。', retry: false },
  // Parks and lanes
  park_unknown: { title: '没有这个车场', hint: '车场还没有登记。', retry: false },
  park_exists: { title: '这个车场编号已经登记过', hint: '请在车场列表中找到它。', retry: false },
  invalid_park_number: { title: '车场编号格式不对', hint: '请使用蓝卡分配的车场编号。', retry: false },
  invalid_url: { title: '地址格式不对', hint: '请填写以 http:// 或 https:// 开头的完整地址。', retry: false },
  lane_unknown: { title: '没有这个车道', hint: '车场还没有上报这个车道。', retry: false },
  poster_font_missing: { title: '服务器缺少中文字体，无法生成海报', hint: '请管理员在服务器上安装中文字体（fonts-wqy-zenhei）。', retry: false },
  not_offered: { title: '此功能未开通', hint: '请联系平台管理员。', retry: false },
  // The lot
  lot_unreachable: { title: '车场系统暂时连不上', hint: '请稍后重试。', retry: true },
  lot_slow: { title: '车场系统响应慢', hint: '车场系统没有及时应答，请稍后重试。', retry: true },
  lot_refused: { title: '车场系统拒绝了这次请求', hint: '', retry: true },
  lot_bad_answer: { title: '车场系统的应答无法识别', hint: '请稍后重试。', retry: true },
  bad_sign: { title: '车场系统的签名不对', hint: '请核对蓝卡密钥。', retry: false },
  invalid_field: { title: '车场系统发来的内容不完整', hint: '请联系蓝卡核对。', retry: false },
  unknown_method: { title: '车场系统调用了未知的接口', hint: '请联系蓝卡核对。', retry: false },
  bad_image: { title: '图片格式不对', hint: '', retry: false },
  image_too_large: { title: '图片太大', hint: '', retry: false },
  // Barrier lift
  confirmation_expired: { title: '确认已超时', hint: '请重新发起。', retry: false },
  confirmation_used: { title: '这次确认已用过', hint: '再次抬杆请重新发起。', retry: false },
  confirmation_unknown: { title: '确认无效', hint: '请重新发起抬杆。', retry: false },
  confirmation_invalid: { title: '确认无效或已超时', hint: '请重新点“全部删除”。', retry: false },
  // Cars and stays
  plate_too_short: { title: '车牌至少输入 4 位', hint: '', retry: false },
  invalid_plate: { title: '车牌号格式不对', hint: '例如 京A12345。', retry: false },
  invalid_plates: { title: '车牌号格式不对', hint: '多个车牌用逗号隔开，最多 50 个。', retry: false },
  invalid_plate_color: { title: '车牌颜色不对', hint: '', retry: false },
  stay_unknown: { title: '没有找到这辆车的在场记录', hint: '请核对车牌；刚入场的车辆可能要稍等片刻。', retry: true },
  stay_ended: { title: '这辆车已经离场', hint: '停车券只能发给在场车辆。', retry: false },
  invalid_stay: { title: '停车记录的时间不对', hint: '', retry: false },
  plate_mismatch: { title: '车牌与停车记录不符', hint: '请核对车牌。', retry: false },
  car_required: { title: '请填写车牌', hint: '停车券发给在场车辆。', retry: false },
  // Coupons
  invalid_amount: { title: '券的额度不对', hint: '时长 1 分钟到 7 天；金额 0.01 到 1000 元。', retry: false },
  invalid_end: { title: '有效期不对', hint: '有效期须在将来，最多 90 天。', retry: false },
  invalid_max_uses: { title: '使用次数上限不对', hint: '1 到 1000000，或留空不限。', retry: false },
  request_id_reused: { title: '这次发放与上一次冲突', hint: '请刷新页面后重新发放。', retry: false },
  coupon_at_lot: { title: '车场已接收这张券，不能撤销', hint: '车场系统不支持收回已接收的券。', retry: false },
  coupon_used: { title: '这张券已在出口抵扣，不能撤销', hint: '', retry: false },
  coupon_in_flight: { title: '这张券正在发送给车场', hint: '请一分钟后再试。', retry: true },
  coupon_unknown: { title: '没有这个券码', hint: '', retry: false },
  coupon_other_park: { title: '这个券码属于别的车场', hint: '', retry: false },
  coupon_disabled: { title: '这个券码已停用', hint: '', retry: false },
  coupon_expired: { title: '这个券码已过期', hint: '', retry: false },
  coupon_used_up: { title: '这个券码的次数已用完', hint: '', retry: false },
  coupon_busy: { title: '这个券码正在使用中', hint: '请稍后再试。', retry: true },
  // Lists
  invalid_entry: { title: '名单内容不对', hint: '', retry: false },
  bad_csv: { title: 'CSV 文件无法读取', hint: '', retry: false },
  list_full: { title: '名单已满', hint: '请先删除不再需要的记录。', retry: false },
  nothing_to_send: { title: '没有需要重发的记录', hint: '车场已确认全部记录。', retry: false },
  // Bookings
  invalid_offer: { title: '预约产品填写有误', hint: '请检查区域、时间和价格。', retry: false },
  offer_closed: { title: '这个预约产品已停售', hint: '', retry: false },
  sold_out: { title: '已约满', hint: '', retry: false },
  no_bookable_spaces: { title: '车场没有可预约的车位了', hint: '', retry: false },
  plate_already_booked: { title: '这个车牌已经预约过', hint: '', retry: false },
  already_admitted: { title: '车辆已凭预约入场，不能取消', hint: '', retry: false },
  cancel_too_late: { title: '入场时间已过，不能取消', hint: '', retry: false },
  booking_issuing: { title: '预约正在发送给车场', hint: '请稍后再取消。', retry: true },
  booking_not_payable: { title: '这个预约已不能支付', hint: '', retry: false },
  // Monthly passes
  invalid_pass_offer: { title: '月卡设置有误', hint: '请检查适用区域和价格（1 个月的价格必填）。', retry: false },
  no_pass_offer: { title: '这个车场暂未开通线上月卡', hint: '', retry: false },
  duration_not_offered: { title: '车场没有出售这个时长的月卡', hint: '', retry: false },
  plate_not_proved: { title: '车主还没有确认这是自己的车', hint: '仅限名单内车辆续费时，车主需先在此车场缴过费或确认入场信息。', retry: false },
  plate_not_on_whitelist: { title: '只有车场月卡名单内的车辆可以续费', hint: '新办月卡请到车场岗亭。', retry: false },
  passes_sold_out: { title: '月卡名额已满', hint: '', retry: false },
  pass_extending: { title: '这辆车的续费正在发送给车场', hint: '请稍后再试。', retry: true },
  // Reconciliation
  invalid_date: { title: '日期不对', hint: '格式为 2026-01-31。', retry: false },
  invalid_range: { title: '日期范围不对', hint: '开始不能晚于结束，最多 92 天。', retry: false },
  // Payments and agreements (drivers' actions; an operator may meet them in the log)
  wallet_not_linked: { title: '当前账号无法用这个钱包支付', hint: '', retry: false },
  provider_unavailable: { title: '支付暂不可用', hint: '请稍后重试。', retry: true },
  provider_unreachable: { title: '支付服务暂时连不上', hint: '请稍后重试。', retry: true },
  provider_refused: { title: '支付服务拒绝了这次请求', hint: '', retry: true },
  provider_mismatch: { title: '这笔订单正在用另一个钱包支付', hint: '', retry: false },
  order_not_payable: { title: '这笔订单已不能支付', hint: '', retry: false },
  quote_taken: { title: '这辆车正在由别人缴费', hint: '', retry: true },
  quote_expired: { title: '费用已过期', hint: '请重新查询。', retry: true },
  refund_conflict: { title: '退款正在处理中', hint: '', retry: true },
  deduction_conflict: { title: '扣费正在处理中', hint: '', retry: true },
  plate_limit: { title: '最多绑定 5 个车牌', hint: '', retry: false },
  plate_not_bound: { title: '车牌还没有绑定', hint: '', retry: false },
  agreement_active: { title: '无感支付已开通', hint: '', retry: false },
  end_with_provider: { title: '请在微信中关闭无感支付', hint: '', retry: false },
  payer_required: { title: '缺少付款人', hint: '', retry: false },
  // A driver proving a car is theirs (an operator may meet them in the log)
  plate_invalid: { title: '车牌号格式不对', hint: '请输入完整车牌，例如 京A12345。', retry: false },
  car_not_here: { title: '车场里没有这辆车', hint: '', retry: false },
  not_confirmed: { title: '核对没有通过', hint: '', retry: false },
  confirm_locked: { title: '核对次数太多，暂时锁定', hint: '请稍后再试。', retry: false },
  too_many_requests: { title: '查询太频繁', hint: '请稍后再试。', retry: true },
  // E-invoices (an operator re-sends one; drivers' requests show in the log)
  title_invalid: { title: '发票抬头填写不对', hint: '单位抬头需要纳税人识别号（15、18 或 20 位），邮箱要写对。', retry: false },
  title_required: { title: '需要填写发票抬头', hint: '', retry: false },
  invoice_unavailable: { title: '这些付款不能开在一张发票上', hint: '不同商户或不同渠道的付款要分开开票。', retry: false },
  invoice_refused: { title: '开票方拒绝了这张发票', hint: '请核对抬头后重新发送。', retry: false },
  already_invoiced: { title: '这笔付款已经开过发票', hint: '', retry: false },
  not_paid: { title: '这笔付款还没有完成', hint: '付款完成后才能开票。', retry: false },
  refund_pending: { title: '这笔付款正在退款', hint: '退款完成后再开票。', retry: true },
  nothing_left: { title: '这笔付款已全部退回', hint: '没有可以开票的金额。', retry: false },
  title_page_required: { title: '需要在微信里填写发票抬头', hint: '多笔付款开在一张发票上时，抬头要在微信的抬头页填写。', retry: false },
  title_page_unavailable: { title: '无法打开微信的抬头填写页', hint: '请改为手动填写抬头。', retry: false },
  not_cancellable: { title: '这张发票现在不能红冲', hint: '发票正在处理或还没有开出，请稍后再试。', retry: true },
  not_issued: { title: '这张发票还没有开出', hint: '', retry: false },
  no_provider: { title: '这笔付款暂不支持开电子发票', hint: '', retry: false },
  no_openid: { title: '缺少车主的微信身份', hint: '', retry: false },
  link_invalid: { title: '链接无效或已过期', hint: '', retry: false },
  unknown_template: { title: '消息模板不对', hint: '', retry: false },
  // The server itself
  database_unavailable: { title: '数据库暂时连不上', hint: '请稍后重试；一直失败请联系平台管理员。', retry: true },
  source_not_allowed: { title: '请求来源不被允许', hint: '只接受车场蓝卡云的调用。', retry: false },
};

/** Field names of the forms, for a request the server found wrong (validation_failed's details). */
const FIELD_TEXT: Record<string, string> = {
  plate: '车牌',
  plates: '车牌',
  memo: '备注',
  reason: '原因',
  title: '名称',
  name: '名称',
  phone: '电话',
  start: '开始时间',
  end: '结束时间',
  letInStart: '入场时间',
  letInEnd: '入场时间',
  priceFen: '价格',
  count: '数量',
  areaId: '区域',
  minutes: '时长',
  fen: '金额',
  maxUses: '使用次数',
  label: '名称',
  username: '用户名',
  password: '密码',
  newPassword: '新密码',
  currentPassword: '当前密码',
  displayName: '姓名',
  parks: '车场',
  bluecardBaseUrl: '蓝卡云地址',
  key: '蓝卡密钥',
  tariffText: '收费标准',
  freeMinutes: '免费时长',
  paidFreeMinutes: '缴费后离场时间',
  date: '日期',
  csv: 'CSV 内容',
  confirmationId: '确认',
  fullRefundMinutesBefore: '全额退款时间',
  lateRefundPercent: '退款比例',
};

/** The fields a validation_failed names, in the operator's words ("「车牌」「备注」"), or ''. */
export function fieldsOf(details: unknown): string {
  if (!Array.isArray(details)) return '';
  const names = new Set<string>();
  for (const issue of details as { path?: unknown[] }[]) {
    const keys = (issue?.path ?? []).filter((k): k is string => typeof k === 'string');
    const known = [...keys].reverse().find((k) => FIELD_TEXT[k]);
    if (known) names.add(FIELD_TEXT[known]!);
  }
  return [...names].map((n) => `「${n}」`).join('');
}

/** A message the server or the lot wrote in Chinese (the lot's reasons, Chinese import errors), else undefined. */
export function chineseMessage(m: string | undefined): string | undefined {
  if (!m || !/[\u4e00-\u9fff]/.test(m)) return undefined;
  // English prose around it (a server sentence quoting the lot) is not for the operator.
  if (/[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}/.test(m)) return undefined;
  return m;
}

/** The lot's own words of a lot_refused (details.lotSays, else a Chinese message). */
function lotSays(e: OpErr): string | undefined {
  const d = e.details as { lotSays?: unknown } | undefined;
  if (d && typeof d.lotSays === 'string' && d.lotSays.trim()) return d.lotSays.trim();
  return chineseMessage(e.message);
}

/** What a failure means to the operator: always Chinese, never the server's code or English message. */
export function opErrorText(e: OpErr): ErrorText {
  if (e.code === 'login_locked') return { ...OP_ERROR_TEXTS.login_locked!, hint: lockHint(e) };
  const t = OP_ERROR_TEXTS[e.code];
  if (e.code === 'lot_refused') {
    const said = lotSays(e);
    return { ...t!, hint: said ? `车场说：${said}` : '请稍后重试，或联系车场核对。' };
  }
  if (e.code === 'lot_unreachable' || e.code === 'lot_bad_answer') {
    // A lift whose answer was lost: the barrier may be up.
    const unknown = (e.details as { outcomeUnknown?: unknown } | undefined)?.outcomeUnknown === true;
    return unknown ? { ...t!, hint: '道闸可能已抬起也可能没有，请先查看现场再决定是否重试。' } : t!;
  }
  if (e.code === 'validation_failed') {
    const fields = fieldsOf(e.details);
    return { ...t!, hint: fields ? `请检查${fields}。` : t!.hint };
  }
  // These carry the problem in Chinese (the lot's reason, a row of a CSV): shown when they do.
  if ((e.code === 'invalid_entry' || e.code === 'bad_csv' || e.code === 'invalid_offer' || e.code === 'provider_refused') && t) {
    const said = chineseMessage(e.message);
    return said ? { ...t, hint: said } : t;
  }
  if (t) return t;
  if (/^http_\d+$/.test(e.code)) return { title: '服务器返回了错误', hint: `请稍后重试（HTTP ${e.code.slice(5)}）。`, retry: true };
  const driver = errorText(e);
  return driver.title === '出错了' ? { title: '出错了', hint: '请稍后重试；一直失败请联系平台管理员。', retry: true } : driver;
}

/** The short text of a code (the audit log's "未成功：…"). */
export function opErrorTitle(code: string): string {
  return OP_ERROR_TEXTS[code]?.title ?? '出错了';
}

/** What a failure means to the driver: a title, a hint, and whether trying again can help. */
export interface ErrorText {
  title: string;
  hint: string;
  retry: boolean;
}

const TEXTS: Record<string, ErrorText> = {
  network: { title: '网络已断开', hint: '请检查手机网络后重试。', retry: true },
  lot_unreachable: { title: '车场系统暂时连不上', hint: '请稍后重试；着急离场可到出口岗亭缴费。', retry: true },
  lot_slow: { title: '车场系统响应慢', hint: '车场系统没有及时应答，不是你的网络问题。请稍后重试；着急离场可到出口岗亭缴费。', retry: true },
  lot_refused: { title: '车场系统拒绝了这次请求', hint: '请稍后重试，或联系车场工作人员。', retry: true },
  park_unknown: { title: '未知的停车场', hint: '这个停车场还没有接入 ParkPay。', retry: false },
  stay_unknown: { title: '没有找到这辆车的在场记录', hint: '请核对车牌号和停车场；刚入场的车辆可能需要稍等片刻。', retry: true },
  bad_link: { title: '链接不完整', hint: '缺少停车场或车牌，请重新输入车牌查询。', retry: false },
  demo_login_needed: { title: '请先登录演示账号', hint: '输入一个名字即可，同一个名字就是同一个用户。', retry: false },
  wallet_not_linked: { title: '当前账号无法用这个钱包支付', hint: '请用微信或支付宝重新扫码。', retry: false },
  quote_taken: { title: '这辆车正在由别人缴费', hint: '请稍后再查看费用。', retry: true },
  quote_expired: { title: '费用已过期', hint: '车场的价格只保留几分钟，请重新查询费用。', retry: true },
  order_not_payable: { title: '这笔订单已不能支付', hint: '请重新查询费用。', retry: true },
  provider_unavailable: { title: '支付暂不可用', hint: '请稍后重试。', retry: true },
  provider_unreachable: { title: '支付服务暂时连不上', hint: '请稍后重试。', retry: true },
  provider_refused: { title: '支付服务拒绝了这笔订单', hint: '请稍后重试。', retry: true },
  provider_mismatch: { title: '这笔订单正在用另一个钱包支付', hint: '请回到原来的钱包完成支付。', retry: false },
  invalid_plate: { title: '车牌号格式不对', hint: '请检查车牌号。', retry: false },
  no_pass_offer: { title: '这个车场暂未开通线上月卡', hint: '请到车场岗亭办理。', retry: false },
  duration_not_offered: { title: '车场没有出售这个时长的月卡', hint: '请选择其他时长。', retry: false },
  plate_not_proved: { title: '请先确认这是你的车', hint: '在此车场缴过费、或车在场内时在“我的停车”中确认入场信息后，即可在线续费。', retry: false },
  plate_not_on_whitelist: { title: '只有车场月卡名单内的车辆可以在线续费', hint: '新办月卡请到车场岗亭。', retry: false },
  passes_sold_out: { title: '月卡名额已满', hint: '请联系车场。', retry: false },
  pass_extending: { title: '这辆车的续费正在发送给车场', hint: '请稍后再试。', retry: true },
  plate_limit: { title: '最多绑定 5 个车牌', hint: '请先解绑一个车牌。', retry: false },
  login_failed: { title: '登录失败', hint: '请重试。', retry: true },
  invalid_code: { title: '登录失败', hint: '请重试。', retry: true },
  rate_limited: { title: '操作太频繁', hint: '请稍后再试。', retry: true },
  bad_response: { title: '应用需要更新', hint: '服务器的应答与应用不一致，请更新后重试。', retry: true },
  not_found: { title: '没有找到', hint: '', retry: false },
  too_many_requests: { title: '查询太频繁', hint: '请稍后再试。', retry: true },
  plate_invalid: { title: '请输入完整车牌号', hint: '例如 京A12345。', retry: false },
  confirm_locked: { title: '尝试次数过多', hint: '请明天再试，或在此车场缴费后查看。', retry: false },
  car_not_here: { title: '停车场内没有这辆车', hint: '', retry: false },
};

export function errorText(e: { code: string; message: string }): ErrorText {
  return TEXTS[e.code] ?? { title: '出错了', hint: e.message, retry: true };
}

/**
 * What a lot's `fail` answer to sendPayRes (4.5) means for the payment. Bluecard answers every refusal with
 * `{"status":"fail","errorCode":<free text>}`: the text is all there is, so it is read liberally.
 *
 *  - final: retrying cannot change the answer — the car already left (车辆已出场), the lot does not know the
 *    stay (订单不存在), or what we send does not match the lot's price (…不符, 流水号已用于其他订单). The
 *    payment cannot count: it is refunded at once.
 *  - busy: the lot says so itself (系统繁忙,请稍后再试, 超时, 频繁): retried on the normal schedule, like an
 *    unreachable lot, as long as a driver could still be waiting (OrderPolicy.giveUpAfterMs).
 *  - unknown: any other text. Retried on the normal schedule a few times (OrderPolicy.maxRefusals), then
 *    refunded: an unexplained refusal that persists is as good as final.
 */
export type RefusalKind = 'car_left' | 'stay_unknown' | 'mismatch' | 'busy' | 'unknown';

const PATTERNS: [RefusalKind, RegExp][] = [
  // Busy first: "请稍后再试" must never read as final, whatever else the text says.
  ['busy', /繁忙|稍后|稍候|重试|超时|频繁|忙碌|busy|try again|timeout|timed out|too many|unavailable/i],
  ['car_left', /已出场|已离场|已经出场|已经离场|车辆不在场|不在场内|already (left|exited|gone)|car (has )?left/i],
  ['stay_unknown', /订单不存在|无此订单|订单号不存在|找不到订单|未找到.*订单|订单.*不存在|order (does )?not exist|unknown order|order not found/i],
  ['mismatch', /不符|不一致|不匹配|已用于其他订单|mismatch|does not match/i],
];

export function classifyRefusal(errorCode: string | undefined): RefusalKind {
  const text = errorCode ?? '';
  for (const [kind, re] of PATTERNS) if (re.test(text)) return kind;
  return 'unknown';
}

export const FINAL_REFUSALS: readonly RefusalKind[] = ['car_left', 'stay_unknown', 'mismatch'];

/**
 * Alipay mini-program subscribe messages inside the Alipay sandbox (小程序订阅消息):
 *
 * - what my.requestSubscribeMessage({entityIds}) does on the user's phone (control API): up to 3 of the app's
 *   templates; a one-time template allows one message per subscription, a long-term one any number;
 * - alipay.open.app.mini.templatemessage.send {to_open_id | to_user_id, user_template_id, page, data (a JSON
 *   string of {keyword: {value}})}, signed and answered like every gateway call.
 *
 * Where the docs are silent the sandbox chooses (the adapter must not depend on it): an unknown template →
 * 40004 USER_TEMPLATE_ILLEGAL; a user without a subscription left → 40004 USER_NOT_SUBSCRIBED; data that is not
 * the template's keywords, or a value longer than 20 characters → 40004 INVALID_PARAMETER.
 */
import type { Clock } from '../../src/core/clock';
import type { GatewayAnswer } from './book';
import type { SandboxUser } from './users';

export const TEMPLATE_MESSAGE_METHOD = 'alipay.open.app.mini.templatemessage.send';

export interface AlipaySandboxTemplate {
  id: string;
  title: string;
  keywords: string[];
  longTerm: boolean;
}

/** The sandbox app's templates, one per message kind. */
export const ALIPAY_SANDBOX_TEMPLATES = {
  entry: { id: 'AT0001ENTRY00000000000000000001', title: '车辆入场提醒', keywords: ['keyword1', 'keyword2', 'keyword3', 'keyword4'], longTerm: false },
  payment: { id: 'AT0002PAID000000000000000000002', title: '停车缴费成功', keywords: ['keyword1', 'keyword2', 'keyword3', 'keyword4', 'keyword5'], longTerm: false },
  free_exit_ending: { id: 'AT0003LEAVE0000000000000000003', title: '离场时间提醒', keywords: ['keyword1', 'keyword2', 'keyword3', 'keyword4'], longTerm: false },
  deduction: { id: 'AT0004DEDUCT000000000000000004', title: '代扣扣费通知', keywords: ['keyword1', 'keyword2', 'keyword3', 'keyword4'], longTerm: true },
  refund: { id: 'AT0005REFUND000000000000000005', title: '退款成功通知', keywords: ['keyword1', 'keyword2', 'keyword3', 'keyword4'], longTerm: false },
  pass_expiring: { id: 'AT0006PASS00000000000000000006', title: '月卡到期提醒', keywords: ['keyword1', 'keyword2', 'keyword3', 'keyword4'], longTerm: false },
} as const satisfies Record<string, AlipaySandboxTemplate>;

export interface AlipaySentMessage {
  at: number;
  to: string;
  templateId: string;
  page?: string;
  data: Record<string, string>;
}

const fail = (subCode: string, subMsg: string): GatewayAnswer => ({ inner: { code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg } });

export class TemplateMessageDesk {
  /** user name → template → subscriptions left (Infinity: long-term). */
  private readonly subs = new Map<string, Map<string, number>>();
  /** user_id and open_id → user name. */
  private readonly ids = new Map<string, string>();
  readonly sent: AlipaySentMessage[] = [];
  readonly templates: AlipaySandboxTemplate[] = Object.values(ALIPAY_SANDBOX_TEMPLATES);

  constructor(private readonly clock: Clock) {}

  /** my.requestSubscribeMessage: the user subscribes to these templates (both of the user's ids count). */
  subscribe(user: SandboxUser, entityIds: string[]): { behavior: 'subscribe'; subscribeEntityIds: string[]; unsubscribedEntityIds: string[] } | { error: string } {
    if (!entityIds.length || entityIds.length > 3) return { error: 'entityIds: 1–3 templates at a time' };
    for (const id of entityIds) if (!this.templates.some((t) => t.id === id)) return { error: `unknown template ${id}` };
    this.ids.set(user.userId, user.name);
    this.ids.set(user.openId, user.name);
    const m = this.subs.get(user.name) ?? new Map<string, number>();
    for (const id of entityIds) {
      const t = this.templates.find((x) => x.id === id)!;
      m.set(id, t.longTerm ? Infinity : (m.get(id) ?? 0) + 1);
    }
    this.subs.set(user.name, m);
    return { behavior: 'subscribe', subscribeEntityIds: entityIds, unsubscribedEntityIds: [] };
  }

  /** Subscriptions left for a user id (user_id or open_id) and template. */
  left(id: string, templateId: string): number {
    const name = this.ids.get(id);
    return (name !== undefined ? this.subs.get(name)?.get(templateId) : undefined) ?? 0;
  }

  send(biz: Record<string, unknown>): GatewayAnswer {
    const to = typeof biz.to_open_id === 'string' ? biz.to_open_id : typeof biz.to_user_id === 'string' ? biz.to_user_id : '';
    if (!to) return fail('INVALID_PARAMETER', '参数有误: to_open_id 或 to_user_id 必填');
    const t = this.templates.find((x) => x.id === biz.user_template_id);
    if (!t) return fail('USER_TEMPLATE_ILLEGAL', '模板不存在或未领用');
    let data: Record<string, { value?: unknown }>;
    try {
      data = typeof biz.data === 'string' ? (JSON.parse(biz.data) as Record<string, { value?: unknown }>) : {};
    } catch {
      return fail('INVALID_PARAMETER', '参数有误: data 不是JSON');
    }
    const values: Record<string, string> = {};
    for (const k of t.keywords) {
      const v = data[k]?.value;
      if (typeof v !== 'string' || !v || [...v].length > 20) return fail('INVALID_PARAMETER', `参数有误: data.${k}`);
      values[k] = v;
    }
    if (Object.keys(data).some((k) => !t.keywords.includes(k))) return fail('INVALID_PARAMETER', '参数有误: data 含有模板以外的关键词');
    const left = this.left(to, t.id);
    if (left <= 0) return fail('USER_NOT_SUBSCRIBED', '用户未订阅该消息或订阅次数已用完');
    if (left !== Infinity) this.subs.get(this.ids.get(to)!)!.set(t.id, left - 1);
    this.sent.push({ at: this.clock.now(), to, templateId: t.id, ...(typeof biz.page === 'string' ? { page: biz.page } : {}), data: values });
    return { inner: { code: '10000', msg: 'Success' } };
  }
}

/**
 * Alipay mini-program subscribe messages (小程序订阅消息): alipay.open.app.mini.templatemessage.send
 * {to_open_id | to_user_id, user_template_id, page, data (JSON text of {keyword: {value}})} on the adapter's
 * wire (signed request, verified answer, our errors). The user subscribes in the app (my.requestSubscribeMessage);
 * a one-time template allows one message per subscription, a long-term one many.
 *
 * send(): 10000 → sent; a user with no subscription (USER_NOT_SUBSCRIBED, …_NOT_SUBSCRIBE…) → refused; a
 * template or data Alipay refuses → failed, not retried; isp.* / SYSTEM_ERROR / transport → failed, retried.
 */
import type { MessageChannel, MessageKind, SendOutcome, TemplateRule } from '../../core/messages/model';
import { AlipayAdapter, type AlipayAdapterConfig, type AlipayAdapterOptions } from './client';
import { AlipayError } from './errors';

export const TEMPLATE_MESSAGE_SEND = 'alipay.open.app.mini.templatemessage.send';

export class AlipayMessages extends AlipayAdapter implements MessageChannel {
  readonly platform = 'alipay' as const;

  constructor(
    config: AlipayAdapterConfig,
    private readonly templates: Partial<Record<MessageKind, TemplateRule>>,
    options: AlipayAdapterOptions = {},
  ) {
    super(config, options);
  }

  template(kind: MessageKind): TemplateRule | undefined {
    return this.templates[kind];
  }

  async send(input: { recipient: string; templateId: string; page?: string; data: Record<string, string> }): Promise<SendOutcome> {
    // open_id-mode apps address users by open_id; user_id-mode ones by their 2088… id.
    const to = /^2088\d{12}$/.test(input.recipient) ? { to_user_id: input.recipient } : { to_open_id: input.recipient };
    let inner: Record<string, unknown>;
    try {
      inner = await this.callRaw(TEMPLATE_MESSAGE_SEND, {
        bizContent: {
          ...to,
          user_template_id: input.templateId,
          ...(input.page ? { page: input.page } : {}),
          data: JSON.stringify(Object.fromEntries(Object.entries(input.data).map(([k, v]) => [k, { value: v }]))),
        },
      });
    } catch (e) {
      const err = e instanceof AlipayError ? e : undefined;
      return { kind: 'failed', retryable: err?.retryable ?? true, reason: err ? `${err.kind}: ${err.detail}` : (e as Error).message };
    }
    if (inner.code === '10000') return { kind: 'sent' };
    const code = String(inner.code ?? '');
    const sub = typeof inner.sub_code === 'string' ? inner.sub_code : '';
    const reason = `${code} ${sub}${typeof inner.sub_msg === 'string' ? ` ${inner.sub_msg}` : ''}`.slice(0, 200);
    if (/NOT_SUBSCRIBE|UNSUBSCRIBE|SUBSCRIBE_QUOTA|NO_SUBSCRIBE/i.test(sub)) return { kind: 'refused', reason };
    const transient = code === '20000' || sub.startsWith('isp.') || /SYSTEM_ERROR|SERVICE_UNAVAILABLE|FREQUENCY/i.test(sub);
    return { kind: 'failed', retryable: transient, reason };
  }
}

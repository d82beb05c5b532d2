/**
 * Messages to drivers (WeChat 订阅消息, Alipay 小程序订阅消息): the kinds, the moments the app asks for consent,
 * and the driver's settings in 我的. Contracts: GET /api/me/messages, POST /api/me/messages/consents,
 * POST /api/me/messages/settings.
 *
 * WeChat subscriptions are one-time per template: each "accept" lets one message of that template be sent.
 * The app asks at the moments WeChat allows (a tap): paying, binding a plate, signing an agreement.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

/**
 * entry: the car entered a park (the lot's 4.2, plates the driver proved or has an agreement for);
 * payment: a payment succeeded; free_exit_ending: the free exit time after paying ends in a few minutes;
 * deduction: money was taken under a withholding agreement; refund: money went back;
 * pass_expiring: a monthly pass ends in 7 days, and in 1 day.
 */
export const messageKindSchema = z.enum(['entry', 'payment', 'free_exit_ending', 'deduction', 'refund', 'pass_expiring']);
export type MessageKind = z.infer<typeof messageKindSchema>;
export const MESSAGE_KINDS = messageKindSchema.options;

/** What 我的 calls each kind. */
export const MESSAGE_KIND_LABELS: Record<MessageKind, string> = {
  entry: '入场提醒',
  payment: '缴费成功通知',
  free_exit_ending: '免费离场即将到期',
  deduction: '无感支付扣费通知',
  refund: '退款通知',
  pass_expiring: '月卡到期提醒',
};

/** When the app may ask (a tap the driver made): each asks for at most three templates, as WeChat allows. */
export const consentMomentSchema = z.enum(['pay', 'plate', 'agreement']);
export type ConsentMoment = z.infer<typeof consentMomentSchema>;

/** The kinds asked for at each moment, most useful first (WeChat shows at most three per ask). */
export const CONSENT_MOMENTS: Record<ConsentMoment, MessageKind[]> = {
  pay: ['payment', 'free_exit_ending', 'refund'],
  plate: ['entry', 'pass_expiring'],
  agreement: ['deduction', 'entry', 'refund'],
};

/** wx.requestSubscribeMessage's answer per template (Alipay's is mapped to it: subscribed → accept). */
export const consentResultSchema = z.enum(['accept', 'reject', 'ban', 'filter']);
export type ConsentResult = z.infer<typeof consentResultSchema>;

export const messageKindViewSchema = z.object({
  kind: messageKindSchema,
  label: z.string(),
  /** The driver's switch in 我的 (on unless turned off). */
  enabled: z.boolean(),
  /** The template this app sends the kind with; null: not configured here (never sent). */
  templateId: z.string().nullable(),
  /** One-time consents not yet used (WeChat); a long-term Alipay subscription counts as null with longTerm. */
  remaining: z.number().int().min(0),
  longTerm: z.boolean(),
});
export type MessageKindView = z.infer<typeof messageKindViewSchema>;

export const messageSettingsSchema = z.object({
  /** Which messages the driver can get: by the app they logged in with; null when it sends none. */
  platform: z.enum(['wechat', 'alipay']).nullable(),
  /** The driver's id at that platform (the demo's stand-in client needs it to play WeChat's consent). */
  recipient: z.string().nullable(),
  kinds: z.array(messageKindViewSchema),
  /** Template ids to ask for at each moment (only kinds the driver has on and this app sends). */
  moments: z.record(consentMomentSchema, z.array(z.string())),
});
export type MessageSettingsView = z.infer<typeof messageSettingsSchema>;

export const messageEndpoints = {
  settings: defineEndpoint({
    summary: "The driver's message kinds: on or off, consents left, and what to ask for at each moment.",
    method: 'GET',
    path: '/api/me/messages',
    auth: 'driver',
    response: messageSettingsSchema,
  }),
  consents: defineEndpoint({
    summary: 'What the driver answered when asked (wx.requestSubscribeMessage / my.requestSubscribeMessage), per template.',
    method: 'POST',
    path: '/api/me/messages/consents',
    auth: 'driver',
    body: z.object({
      moment: consentMomentSchema,
      results: z.record(z.string().min(1).max(128), consentResultSchema),
    }),
    response: messageSettingsSchema,
    errors: ['unknown_template'],
  }),
  setKind: defineEndpoint({
    summary: 'Turn a kind of message on or off.',
    method: 'POST',
    path: '/api/me/messages/settings',
    auth: 'driver',
    body: z.object({ kind: messageKindSchema, enabled: z.boolean() }),
    response: messageSettingsSchema,
  }),
} as const;

/**
 * The configuration of what a driver gets after paying (config.ts takes these blocks): e-invoicing
 * (`invoicing`) and messages to drivers (`messages`). Every key carries its description: the configuration
 * reference is generated from these schemas.
 */
import { z } from 'zod';
import { MESSAGE_KINDS, type MessageKind } from '../../shared/api/messages';
import { ALL_MESSAGE_SOURCES, MESSAGE_SOURCES } from './core/messages/fields';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** One line item of a fapiao: what is sold, and how the tax office classes it. */
const lineItemSchema = z.strictObject({
  goodsName: z.string().min(1).max(60).meta({ description: 'the line item as the fapiao names it (default 停车服务费)' }),
  taxCode: z
    .string()
    .regex(/^\d{19}$/, 'must be 19 digits')
    .meta({ description: '税收分类编码 of the line, 19 digits (default 3040502020200000000 车辆停放服务)' }),
  taxRate: z
    .number()
    .int()
    .min(0)
    .max(1700)
    .meta({ description: "tax rate in 1/100 percent as WeChat Pay takes it: 900 = 9% (default; 不动产经营租赁), 500, 300, 100, 0" }),
  unit: z.string().max(20).optional().meta({ description: 'unit of the line (e.g. 次)' }),
});

export const DEFAULT_LINE_ITEM = { goodsName: '停车服务费', taxCode: '3040502020200000000', taxRate: 900, unit: '次' } as const;

const wechatFapiaoSchema = z
  .strictObject({
    callbackUrl: httpUrl.optional().meta({ description: 'where FAPIAO.* notifications go, set in the merchant’s development configuration at start (default `<publicBaseUrl>/notify/wechatpay/fapiao`)' }),
    showFapiaoCell: z.boolean().default(false).meta({ description: 'development configuration show_fapiao_cell: every bill of the merchant shows WeChat’s 开发票 entry' }),
    sellerName: z.string().min(1).max(60).optional().meta({ description: 'seller name shown on WeChat’s title page' }),
    cardTemplate: z
      .strictObject({
        cardAppid: z.string().min(1).meta({ description: 'the official account whose card package issued fapiao go into (插卡公众号AppID)' }),
        logoUrl: httpUrl.meta({ description: 'logo of the fapiao card' }),
        payeeName: z.string().min(1).max(64).optional().meta({ description: 'payee shown on the card' }),
        miniprogramUserName: z.string().min(1).optional().meta({ description: 'the mini-program (gh_…@app) the card’s cell opens' }),
        miniprogramPath: z.string().min(1).optional().meta({ description: 'the page the card’s cell opens' }),
      })
      .optional()
      .meta({ description: 'created at start: issued fapiao are put into the payer’s WeChat card package with it (none: no card insertion)' }),
  })
  .meta({ description: "WeChat Pay's e-invoicing (电子发票, API v3 new-tax-control-fapiao) for the wechatPay merchant: needs wechatPay and wechatMiniProgram" });

export const invoicingSchema = z
  .strictObject({
    wechat: wechatFapiaoSchema.optional(),
    lineItem: lineItemSchema.default(DEFAULT_LINE_ITEM).meta({ description: 'the fapiao line of a parking payment, for every park without its own' }),
    parks: z
      .record(z.string().min(1), lineItemSchema.partial())
      .default({})
      .meta({ description: 'per park (by parkNumber): its own line item (tax code, rate, name), field by field over lineItem' }),
    remark: z.string().max(200).optional().meta({ description: 'remark printed on every fapiao (备注)' }),
  })
  .meta({ description: 'e-invoices (电子发票) drivers ask for in the app; offered only when a provider is configured (demo mode: the WeChat Pay sandbox)' });

export type InvoicingConfig = z.infer<typeof invoicingSchema>;

const sourceSchema = z.enum(ALL_MESSAGE_SOURCES as [string, ...string[]]);

/** One template of one kind: its id at the platform and what fills each of its keywords. */
const templateSchema = z.strictObject({
  templateId: z.string().min(1).max(128).meta({ description: 'the template id (WeChat 订阅消息模板 / Alipay user_template_id)' }),
  fields: z
    .record(z.string().regex(/^[a-z_]+\d+$/, 'must be a template keyword such as thing1 or amount2'), sourceSchema)
    .refine((f) => Object.keys(f).length > 0, 'at least one field')
    .meta({ description: `keyword → what fills it: ${ALL_MESSAGE_SOURCES.join(', ')} (each kind takes its own: see the README)` }),
  longTerm: z.boolean().optional().meta({ description: 'Alipay long-term subscription: one consent, many messages (WeChat: one-time only)' }),
});

const templatesSchema = z
  .strictObject(Object.fromEntries(MESSAGE_KINDS.map((k) => [k, templateSchema.optional().meta({ description: `template of the ${k} messages` })])) as Record<MessageKind, z.ZodOptional<typeof templateSchema>>)
  .superRefine((t, ctx) => {
    for (const k of MESSAGE_KINDS) {
      const tpl = t[k];
      if (!tpl) continue;
      for (const [key, source] of Object.entries(tpl.fields)) {
        if (!(MESSAGE_SOURCES[k] as readonly string[]).includes(source)) {
          ctx.addIssue({ code: 'custom', path: [k, 'fields', key], message: `${k} messages have no ${source} (they have ${MESSAGE_SOURCES[k].join(', ')})` });
        }
      }
    }
  });

export const messagesSchema = z
  .strictObject({
    wechat: z
      .strictObject({
        templates: templatesSchema.meta({ description: 'per kind (entry, payment, free_exit_ending, deduction, refund, pass_expiring): its template' }),
        miniprogramState: z.enum(['developer', 'trial', 'formal']).default('formal').meta({ description: 'which version of the mini-program a message opens' }),
        lang: z.enum(['zh_CN', 'en_US', 'zh_HK', 'zh_TW']).default('zh_CN').meta({ description: 'language of the message’s 进入小程序查看' }),
      })
      .optional()
      .meta({ description: 'WeChat subscribe messages (subscribeMessage.send) of the wechatMiniProgram app; its access token is cached in the database and refreshed before it ends (stable_token)' }),
    alipay: z
      .strictObject({
        templates: templatesSchema.meta({ description: 'per kind: its Alipay template' }),
      })
      .optional()
      .meta({ description: 'Alipay mini-program subscribe messages (alipay.open.app.mini.templatemessage.send) of the alipay app' }),
    maxAttempts: z.number().int().min(1).max(20).default(5).meta({ description: 'sends of one message before it is dropped (with a log line)' }),
    freeExitLeadMinutes: z.number().int().min(1).max(30).default(3).meta({ description: 'minutes before the free exit time ends that free_exit_ending is sent' }),
  })
  .meta({ description: 'messages to drivers: sent only for kinds with a template, with the driver’s consent, each event once' });

export type MessagesConfig = z.infer<typeof messagesSchema>;
export type TemplateConfig = z.infer<typeof templateSchema>;

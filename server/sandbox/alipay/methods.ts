/**
 * The gateway's API methods: one handler each, over the books that keep trades (book.ts), booth payments
 * (face-to-face.ts), subscribe messages (messages.ts) and withholding agreements (agreement-book.ts).
 * The page-sign method is a page, not an answer: agreements.ts serves it.
 */
import type { AgreementBook } from './agreement-book';
import { AGREEMENT_METHODS, WITHHOLDING_PRODUCT } from './agreements';
import { parseBizContent, type GatewayAnswer, type TradeBook } from './book';
import type { FaceToFaceCounter } from './face-to-face';
import { TEMPLATE_MESSAGE_METHOD, type TemplateMessageDesk } from './messages';

const OAUTH_METHOD = 'alipay.system.oauth.token';

/** What a method is given: the parsed biz_content, the request's notify_url, and every common parameter. */
export interface MethodCall {
  biz: Record<string, unknown>;
  notifyUrl: string | undefined;
  params: Record<string, string>;
}

export type MethodHandler = (call: MethodCall) => GatewayAnswer;

export interface MethodBooks {
  book: TradeBook;
  faceToFace: FaceToFaceCounter;
  messages: TemplateMessageDesk;
  agreementBook: AgreementBook;
}

/** Every method the gateway knows (an unknown one is refused as isv.invalid-method). */
export const KNOWN_METHODS = new Set([
  'alipay.trade.create',
  'alipay.trade.precreate',
  'alipay.trade.query',
  'alipay.trade.close',
  'alipay.trade.refund',
  'alipay.trade.fastpay.refund.query',
  OAUTH_METHOD,
  'alipay.trade.pay',
  'alipay.trade.cancel',
  TEMPLATE_MESSAGE_METHOD,
  ...AGREEMENT_METHODS,
]);

const forbidden: GatewayAnswer = { inner: { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.ACCESS_FORBIDDEN', sub_msg: '无权限使用接口' } };

export function methodHandlers({ book, faceToFace, messages, agreementBook }: MethodBooks): Record<string, MethodHandler> {
  return {
    [OAUTH_METHOD]: ({ params }) => book.oauthToken(params),
    'alipay.trade.create': ({ biz, notifyUrl }) => book.create(biz, notifyUrl),
    'alipay.trade.precreate': ({ biz, notifyUrl }) => book.precreate(biz, notifyUrl),
    'alipay.trade.query': ({ biz }) => book.query(biz),
    'alipay.trade.close': ({ biz, notifyUrl }) => book.close(biz, notifyUrl),
    'alipay.trade.refund': ({ biz }) => book.refund(biz),
    'alipay.trade.fastpay.refund.query': ({ biz }) => book.refundQuery(biz),
    'alipay.trade.pay': ({ biz, notifyUrl }) => {
      // The booth scanned a payment code (face-to-face.ts).
      if (biz.scene === 'bar_code' || biz.scene === 'security_code') return faceToFace.pay(biz, notifyUrl);
      // Agreement payment (withholding). Other alipay.trade.pay products are not served here.
      if (biz.product_code === WITHHOLDING_PRODUCT) return agreementBook.tradePay(biz, notifyUrl);
      return forbidden;
    },
    'alipay.trade.cancel': ({ biz }) => faceToFace.cancel(biz),
    [TEMPLATE_MESSAGE_METHOD]: ({ biz }) => messages.send(biz),
    'alipay.user.agreement.query': ({ biz }) => agreementBook.query(biz),
    'alipay.user.agreement.unsign': ({ biz, notifyUrl }) => agreementBook.unsign(biz, notifyUrl),
  };
}

/** Run the method of a request whose common parameters passed: biz_content must be a JSON object (OAuth has none). */
export function dispatch(handlers: Record<string, MethodHandler>, params: Record<string, string>): GatewayAnswer {
  const method = params.method ?? '';
  const handler = handlers[method];
  if (!handler) throw new Error(`sandbox: no handler for ${method}`);
  if (method === OAUTH_METHOD) return handler({ biz: {}, notifyUrl: undefined, params });
  const biz = parseBizContent(params);
  if (!biz) return { inner: { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: '参数无效: biz_content' } };
  return handler({ biz, notifyUrl: params.notify_url || undefined, params });
}

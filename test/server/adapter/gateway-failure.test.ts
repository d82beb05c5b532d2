/**
 * Every adapter's error is a core GatewayFailure: core reads what kind of failure it was, whether to ask
 * again, whether anything reached the provider and what the provider said, never the adapter's own fields.
 */
import { AlipayError } from '../../../server/src/adapter/alipay/errors';
import { BluecardError } from '../../../server/src/adapter/bluecard/errors';
import { WechatPayError } from '../../../server/src/adapter/wechatpay/errors';
import { GatewayFailure, refusedBeforeSending } from '../../../server/src/core/gateway-failure';

const wechat = (kind: WechatPayError['kind'], retryable: boolean, extra: { code?: string; wechatMessage?: string } = {}) =>
  new WechatPayError({ operation: 'jsapi', kind, detail: 'x', retryable, ...extra });
const alipay = (kind: AlipayError['kind'], retryable: boolean, extra: { code?: string; subCode?: string; subMsg?: string } = {}) =>
  new AlipayError({ method: 'alipay.trade.create', kind, detail: 'x', retryable, ...extra });
const bluecard = (kind: BluecardError['kind'], retryable: boolean, errorCode?: string) =>
  new BluecardError({ parkNumber: 'p1', iface: 'sendPayRes', kind, detail: 'x', retryable, ...(errorCode ? { errorCode } : {}) });

it.each([
  ['WeChat Pay timeout', wechat('timeout', true), { failure: 'unreachable', retryable: true, sent: true }],
  ['WeChat Pay bad signature', wechat('bad_signature', true), { failure: 'bad_answer', retryable: true, sent: true }],
  ['WeChat Pay refusal', wechat('business', false, { code: 'ORDERPAID', wechatMessage: '订单已支付' }), { failure: 'refused', retryable: false, sent: true, providerCode: 'ORDERPAID', providerMessage: '订单已支付' }],
  ['WeChat Pay invalid request', wechat('invalid_request', false), { failure: 'invalid_request', retryable: false, sent: false }],
  ['Alipay bad response', alipay('bad_response', true), { failure: 'bad_answer', retryable: true, sent: true }],
  ['Alipay refusal', alipay('business', false, { code: '40004', subCode: 'ACQ.TRADE_HAS_SUCCESS', subMsg: '交易已被支付' }), { failure: 'refused', sent: true, providerCode: 'ACQ.TRADE_HAS_SUCCESS', providerMessage: '交易已被支付' }],
  ['Alipay configuration', alipay('config', false), { failure: 'config', retryable: false, sent: false }],
  ['Bluecard fail', bluecard('rejected', false, '车辆已出场'), { failure: 'refused', retryable: false, sent: true, providerCode: '车辆已出场' }],
  ['Bluecard network', bluecard('network', true), { failure: 'unreachable', retryable: true, sent: true }],
  ['Bluecard invalid request', bluecard('invalid_request', false), { failure: 'invalid_request', sent: false }],
] as const)('%s', (_what, e, expected) => {
  expect(e).toBeInstanceOf(GatewayFailure);
  expect(e).toMatchObject(expected);
  // A provider's own refusal of bad arguments carries no code of ours: core does not pass it on as one.
  expect(refusedBeforeSending(e)).toBe(false);
});

it('a refusal of ours made before sending carries the code the app is told', () => {
  const e = new GatewayFailure('not a plate WeChat can take: X', { failure: 'invalid_request', retryable: false, sent: false, reason: 'invalid_plate' });
  expect(refusedBeforeSending(e)).toBe(true);
  expect(refusedBeforeSending(new GatewayFailure('x', { failure: 'conflict', retryable: false, sent: true, reason: 'refund_conflict' }))).toBe(false);
  expect(refusedBeforeSending(new Error('x'))).toBe(false);
});

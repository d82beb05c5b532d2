/**
 * A login provider's failure → the app API's answer. The providers throw their own typed errors
 * (WechatLoginError, AlipayError); this is the one place that decides what the driver's app is told and
 * what we log. Never logged: the code itself, the secret, anything the provider answered on success.
 *
 *   the code is wrong, used or expired          → 400 invalid_code        (get a new code, try again)
 *   the provider's rate limit                   → 429 rate_limited        (Retry-After: 60)
 *   the provider refuses this user (risk)       → 403 login_refused
 *   outage, timeout, garbage, our misconfig     → 503 provider_unavailable (misconfiguration logged as error)
 */
import type { Context } from 'koa';
import { AppError } from '../../core/errors';
import { HttpError } from '../http/errors';
import { isAlipayError } from '../../adapter/alipay/errors';
import { isWechatLoginError } from '../../adapter/wechat-login/errors';
import type { ApiState } from './driver-auth';

const invalidCode = () => new HttpError('invalid_code', 'the login code is invalid, used or expired: log in again', 400);
const unavailable = (provider: string) =>
  new HttpError('provider_unavailable', `${provider} login is unavailable right now: try again`, 503);

/** The AppError to answer for a provider's error, or undefined when `err` is not a provider's. */
export function loginFailure(err: unknown, ctx: Context): AppError | undefined {
  const log = (ctx.state as ApiState).log;
  if (isWechatLoginError(err)) {
    const fields = { provider: 'wechat', kind: err.kind, errcode: err.errcode, httpStatus: err.httpStatus };
    switch (err.kind) {
      case 'invalid_code':
      case 'invalid_request':
        log?.info(fields, 'login refused: invalid code');
        return invalidCode();
      case 'rate_limited':
        log?.warn(fields, 'login rate-limited by WeChat');
        ctx.set('retry-after', '60');
        return new HttpError('rate_limited', 'too many logins: try again in a minute', 429);
      case 'risky_user':
        log?.warn(fields, 'login refused by WeChat: high-risk user');
        return new HttpError('login_refused', 'WeChat refuses this login', 403);
      case 'config':
      case 'unexpected_errcode':
        log?.error(fields, 'WeChat login fails: check wechatMiniProgram appId / appSecret');
        return unavailable('WeChat');
      default:
        log?.warn(fields, 'WeChat login unavailable');
        return unavailable('WeChat');
    }
  }
  if (isAlipayError(err)) {
    const fields = { provider: 'alipay', kind: err.kind, code: err.code, subCode: err.subCode, httpStatus: err.httpStatus };
    // alipay.system.oauth.token: 40002 isv.code-invalid (wrong, used or expired auth code).
    if (err.kind === 'invalid_request' || (err.kind === 'business' && /code-(invalid|expired)/i.test(err.subCode ?? ''))) {
      log?.info(fields, 'login refused: invalid code');
      return invalidCode();
    }
    if (err.retryable) log?.warn(fields, 'Alipay login unavailable');
    else log?.error(fields, 'Alipay login fails: check the alipay configuration');
    return unavailable('Alipay');
  }
  return undefined;
}

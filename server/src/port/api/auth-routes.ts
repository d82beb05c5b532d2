/** POST /api/auth/wechat, /alipay, /demo, /logout (contracts: shared/api/auth.ts). */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { authEndpoints } from '../../../../shared/api/auth';
import type { IdentityService, LoginResult } from '../../core/identity/service';
import { bearerToken, type ApiState } from './driver-auth';
import { loginFailure } from './login-failures';
import { mount } from './mount';
import { driverView } from './views';

function session(r: LoginResult) {
  return { token: r.token, expiresAt: r.expiresAt.toISOString(), driver: driverView(r.driver) };
}

async function login(ctx: Context, run: () => Promise<LoginResult>) {
  try {
    const r = await run();
    (ctx.state as ApiState).log?.info({ driverId: r.driver.id, created: r.created }, 'driver logged in');
    return session(r);
  } catch (e) {
    throw loginFailure(e, ctx) ?? e;
  }
}

export function mountAuthRoutes(router: Router, identity: IdentityService): void {
  mount(router, authEndpoints.wechat, ({ body, ctx }) => login(ctx, () => identity.loginWithWechat(body.code)));
  mount(router, authEndpoints.alipay, ({ body, ctx }) => login(ctx, () => identity.loginWithAlipay(body.code)));
  mount(router, authEndpoints.demo, ({ body, ctx }) => login(ctx, () => identity.loginDemo(body.name)));
  mount(router, authEndpoints.logout, async ({ ctx }) => {
    // auth 'driver' checked the token already: it is there and live.
    await identity.logout(bearerToken(ctx)!);
    return { ok: true as const };
  });
}

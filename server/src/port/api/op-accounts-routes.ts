/** /api/op/auth/*, /api/op/me*, /api/op/operators*, /api/op/audit (contracts: shared/api/op-accounts.ts). */
import type Router from '@koa/router';
import { opAccountEndpoints as ep } from '../../../../shared/api/op-accounts';
import { AppError } from '../../core/errors';
import { HttpError } from '../http/errors';
import { OperatorError } from '../../core/operators/errors';
import { assertParkAccess, assertRole } from '../../core/operators/model';
import type { AuditStore, OperatorAccount, OperatorService } from '../../core/operators/service';
import { bearerToken, type ApiState } from './driver-auth';
import { auditFacts, mount } from './mount';

export function operatorView(a: OperatorAccount) {
  return {
    id: a.id,
    username: a.username,
    role: a.role,
    parks: a.role === 'admin' ? [] : a.parks,
    displayName: a.displayName ?? null,
    disabled: a.disabled,
    createdAt: a.createdAt.toISOString(),
    lastLoginAt: a.lastLoginAt?.toISOString() ?? null,
  };
}

export function mountOpAccountRoutes(router: Router, operators: OperatorService, audit: AuditStore): void {
  mount(router, ep.login, async ({ body, ctx }) => {
    try {
      const r = await operators.login(body.username, body.password);
      (ctx.state as ApiState).log?.info({ operatorId: r.account.id, role: r.account.role }, 'operator logged in');
      return { token: r.token, expiresAt: r.expiresAt.toISOString(), operator: operatorView(r.account) };
    } catch (e) {
      if (e instanceof AppError && e.code === 'login_locked') {
        const s = (e.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
        if (s) ctx.set('retry-after', String(s));
      }
      throw e;
    }
  });

  mount(router, ep.logout, async ({ ctx }) => {
    await operators.logout(bearerToken(ctx)!);
    return { ok: true as const };
  });

  mount(router, ep.me, async ({ operator }) => {
    const a = await operators.account(operator.id);
    if (!a) throw new HttpError('unauthenticated', 'log in again', 401);
    return operatorView(a);
  });

  mount(router, ep.changePassword, async ({ body, operator, ctx }) => {
    try {
      await operators.changeOwnPassword(operator, body.currentPassword, body.newPassword, bearerToken(ctx));
    } catch (e) {
      // A wrong current password is a mistake in the form (400), not a session gone (401: the app logs out).
      if (e instanceof OperatorError && e.code === 'invalid_credentials') throw new HttpError(e.code, e.message, 400, e.details);
      throw e;
    }
    return { ok: true as const };
  });

  mount(router, ep.listOperators, async ({ operator }) => ({ operators: (await operators.listOperators(operator)).map(operatorView) }));

  mount(router, ep.createOperator, async ({ body, operator, ctx }) => {
    auditFacts(ctx, ep.createOperator, {
      username: body.username.trim().toLowerCase(),
      role: body.role,
      ...(body.role !== 'admin' && body.parks ? { parks: body.parks } : {}),
      ...(body.displayName ? { displayName: body.displayName } : {}),
    });
    return operatorView(await operators.createOperator(operator, body));
  });

  mount(router, ep.updateOperator, async ({ params, body, operator, ctx }) => {
    // What changed, never the password itself.
    const { password, ...rest } = body;
    auditFacts(ctx, ep.updateOperator, { ...rest, ...(password !== undefined ? { passwordReset: true } : {}) });
    const after = await operators.updateOperator(operator, params.operatorId, body);
    auditFacts(ctx, ep.updateOperator, { username: after.username });
    return operatorView(after);
  });

  mount(router, ep.audit, async ({ query, operator }) => {
    assertRole(operator, 'admin', 'operator');
    if (query.parkNumber !== undefined) assertParkAccess(operator, query.parkNumber);
    const entries = await audit.list({
      ...(operator.role === 'admin' ? {} : { parks: operator.parks, orOperatorId: operator.id }),
      ...(query.parkNumber !== undefined ? { parkNumber: query.parkNumber } : {}),
      ...(query.operatorId !== undefined ? { operatorId: query.operatorId } : {}),
      ...(query.before ? { before: new Date(query.before) } : {}),
      limit: query.limit,
    });
    const last = entries[entries.length - 1];
    return {
      entries: entries.map((e) => ({
        at: e.at.toISOString(),
        operatorId: e.operatorId,
        username: e.username,
        displayName: e.displayName ?? null,
        action: e.action,
        parkNumber: e.parkNumber ?? null,
        facts: e.facts ?? {},
        target: e.target ?? null,
        result: e.result,
        code: e.code ?? null,
      })),
      next: entries.length === query.limit && last ? last.at.toISOString() : null,
    };
  });
}

/**
 * Operators for tests of `auth: 'operator'` endpoints: the real OperatorService on the test database (real
 * scrypt hashes, real sessions; a lower scrypt cost so logins are quick), and a router that authenticates
 * and audits operator contracts with it.
 *
 *   const ops = await operatorWorld(db.connection);
 *   const router = ops.router();                       // mount(router, myOpEndpoint, handler)
 *   const alice = await ops.session({ role: 'operator', parks: ['P1'] });
 *   await request(app).get('/api/op/parks/P1/…').set(alice.headers);
 *   expect(await ops.auditEntries()).toContainEqual(expect.objectContaining({ action: 'POST /api/op/…' }));
 */
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Connection } from 'mongoose';
import { ManualClock, type Clock } from '../../server/src/core/clock';
import type { AuditEntry, Operator, OperatorRole } from '../../server/src/core/operators/model';
import { OperatorService, type OperatorAccount, type OperatorServiceDeps } from '../../server/src/core/operators/service';
import { createApiRouter } from '../../server/src/port/api/router';
import { withOperatorAuth, type OperatorAuthDeps } from '../../server/src/port/api/driver-auth';
import { MongoAuditLog, MongoLoginThrottle, MongoOperatorAccountRepository, MongoOperatorSessionRepository } from '../../server/src/repository/operators';

/** scrypt N for tests: real hashing, ~1 ms. */
export const TEST_SCRYPT_COST = 1 << 10;

export interface OperatorSession {
  token: string;
  operator: Operator;
  account: OperatorAccount;
  password: string;
  /** `{ authorization: 'Bearer …' }` for supertest's .set(). */
  headers: { authorization: string };
}

export interface OperatorWorld {
  service: OperatorService;
  audit: MongoAuditLog;
  /** What withOperatorAuth wants. */
  auth: OperatorAuthDeps;
  clock: Clock;
  /** A router (no drivers: driver endpoints answer 401) on which `auth: 'operator'` contracts can be mounted. */
  router(): Router;
  /** Create an operator (random username unless given) and log in. */
  session(o: { role: OperatorRole; parks?: string[]; username?: string; password?: string; displayName?: string }): Promise<OperatorSession>;
  /** Every audit entry, newest first. */
  auditEntries(): Promise<AuditEntry[]>;
}

export async function operatorWorld(
  conn: Connection,
  opts: { clock?: Clock } & Partial<Pick<OperatorServiceDeps, 'parkExists' | 'lockout' | 'sessionTtlMs'>> = {},
): Promise<OperatorWorld> {
  const clock = opts.clock ?? new ManualClock(Date.now());
  const audit = new MongoAuditLog(conn);
  const accounts = new MongoOperatorAccountRepository(conn);
  const sessions = new MongoOperatorSessionRepository(conn);
  const throttle = new MongoLoginThrottle(conn);
  await Promise.all([audit.init(), accounts.init(), sessions.init(), throttle.init()]);
  const { clock: _c, ...rest } = opts;
  const service = new OperatorService({ accounts, sessions, throttle, clock, audit, scryptCost: TEST_SCRYPT_COST, ...rest });
  const auth: OperatorAuthDeps = { authenticator: service, audit, clock };
  return {
    service,
    audit,
    auth,
    clock,
    router: () => withOperatorAuth(createApiRouter({ authenticate: async () => undefined }), auth),
    async session(o) {
      const username = o.username ?? `op-${o.role}-${randomBytes(4).toString('hex')}`;
      const password = o.password ?? `pw-${randomBytes(9).toString('base64url')}`;
      await service.createOperator('system', { username, password, role: o.role, parks: o.parks, displayName: o.displayName });
      const r = await service.login(username, password);
      return { token: r.token, operator: r.operator, account: r.account, password, headers: { authorization: `Bearer ${r.token}` } };
    },
    auditEntries: () => audit.list({ limit: 10_000 }),
  };
}

/**
 * The app API's router: the driver's identity routes (auth, me). Other parts of the app API (orders) mount
 * their contracts on a router made by createApiRouter(identity) — or on this one — with mount().
 */
import Router from '@koa/router';
import type { DriverAuthenticator, IdentityService } from '../../core/identity/service';
import { mountAuthRoutes } from './auth-routes';
import { withDriverAuth, withOperatorAuth, type OperatorAuthDeps } from './driver-auth';
import { mountMeRoutes } from './me-routes';

export interface ApiRouterDeps {
  identity: IdentityService;
  /** Operator sessions and the audit log: `auth: 'operator'` contracts may then be mounted on this router. */
  operators?: OperatorAuthDeps;
}

/** An empty router on which mount() authenticates `auth: 'driver'` contracts with `auth`. */
export function createApiRouter(auth: DriverAuthenticator): Router {
  return withDriverAuth(new Router(), auth);
}

export function apiRouter(deps: ApiRouterDeps): Router {
  const router = createApiRouter(deps.identity);
  if (deps.operators) withOperatorAuth(router, deps.operators);
  mountAuthRoutes(router, deps.identity);
  mountMeRoutes(router, deps.identity);
  return router;
}

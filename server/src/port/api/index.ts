/** The app API (drivers' mini-program and H5): contracts from shared/api mounted on Koa. */
export { apiRouter, createApiRouter, type ApiRouterDeps } from './router';
export { mount, apiJsonBody, API_BODY_LIMIT, type Handler, type HandlerArgs, type MountOptions } from './mount';
export {
  authenticateRequest,
  bearerToken,
  driverAuth,
  withDriverAuth,
  withOperatorAuth,
  authenticateOperator,
  type OperatorAuthDeps,
  type ApiState,
  type DriverAuthenticator,
} from './driver-auth';
export { loginFailure } from './login-failures';
export { driverView, maskId, plateView } from './views';

/** GET /api/demo (shared/api/demo.ts): in demo mode, where the sandboxes are; otherwise 404. */
import type Router from '@koa/router';
import { demoEndpoints } from '../../../../shared/api/demo';
import { HttpError } from '../http/errors';
import type { Demo } from '../../../sandbox/demo';
import { mount } from './mount';

export function mountDemoRoutes(router: Router, demo: Demo | undefined): void {
  mount(router, demoEndpoints.demo, async () => {
    if (!demo) throw new HttpError('not_found', 'not in demo mode', 404);
    const s = demo.sandboxes;
    return {
      parkNumber: demo.parks[0]!.parkNumber,
      bluecardSandbox: s.bluecard.url,
      wechatPaySandbox: s.wechatPay.url,
      alipaySandbox: s.alipay.url,
      wechatLoginSandbox: s.wechatLogin.url,
    };
  });
}

/**
 * The driver's messages in 我的 (contracts: shared/api/messages.ts): which kinds, on or off, consents left,
 * what to ask for at each moment, and the answers the app reports after asking.
 */
import type Router from '@koa/router';
import { messageEndpoints } from '../../../../shared/api/messages';
import type { MessagesService } from '../../core/messages/service';
import { mount } from './mount';

export function mountMessageRoutes(router: Router, messages: MessagesService): void {
  mount(router, messageEndpoints.settings, async ({ driver }) => messages.settings(driver.id));
  mount(router, messageEndpoints.consents, async ({ driver, body }) => messages.consent(driver.id, body.moment, body.results));
  mount(router, messageEndpoints.setKind, async ({ driver, body }) => messages.setKind(driver.id, body.kind, body.enabled));
}

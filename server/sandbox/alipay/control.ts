/**
 * The control API over HTTP, under /__sandbox/ (the demo's buttons and the playground): read the trades,
 * notifications and messages; play the buyer (pay, cancel, expire, finish, auth code, subscribe, payment
 * code); inject faults. The withholding agreements have their own routes (agreements.ts).
 */
import type http from 'node:http';
import type { AgreementDesk } from './agreements';
import { SandboxControlError } from './book';
import type { AlipayCodeBehaviour } from './face-to-face';
import { readBody, send } from './http-io';
import type { TemplateMessageDesk } from './messages';
import type { SandboxUser } from './users';
import type { AlipayFault, AlipaySandbox } from './index';

export interface ControlOptions {
  /** The sandbox the routes act on (made once the server listens; the routes run only after). */
  sandbox: () => AlipaySandbox;
  agreementDesk: AgreementDesk;
  messages: TemplateMessageDesk;
  userOf: (u: string) => SandboxUser | undefined;
}

interface ControlBody {
  outTradeNo?: string;
  user?: string;
  fault?: AlipayFault;
  times?: number;
  entityIds?: unknown;
  behaviour?: AlipayCodeBehaviour;
}

export function createControl(o: ControlOptions): (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> {
  const reads: Record<string, (s: AlipaySandbox) => unknown> = {
    trades: (s) => s.trades(),
    notifications: (s) => s.notifications(),
    app: (s) => ({ appId: s.app.appId, gateway: s.gateway, sellerId: s.sellerId }),
    messages: () => o.messages.sent,
  };

  /** POST actions: the answer, or undefined for an unknown path. */
  const act = (s: AlipaySandbox, path: string, b: ControlBody): [number, unknown] | undefined => {
    const no = String(b.outTradeNo ?? '');
    const user = String(b.user ?? 'driver');
    switch (path) {
      case 'pay':
        return [200, s.pay(no, b.user)];
      case 'cancel':
        return [200, s.cancel(no, b.user)];
      case 'expire':
        return [200, s.expire(no)];
      case 'finish':
        return [200, s.finish(no)];
      case 'auth-code':
        return [200, { authCode: s.issueAuthCode(user) }];
      case 'subscribe': {
        // my.requestSubscribeMessage on the user's phone.
        const ids = b.entityIds;
        return [200, o.messages.subscribe(o.userOf(user)!, Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [])];
      }
      case 'payment-code':
        return [200, s.paymentCode(user, b.behaviour)];
      case 'fault':
        if (!b.fault || typeof b.fault.type !== 'string') return [400, { error: 'fault.type is required' }];
        s.inject(b.fault, b.times ?? 1);
        return [200, { ok: true }];
      default:
        return undefined;
    }
  };

  return async (req, res, url) => {
    const json = (status: number, v: unknown) => send(res, status, JSON.stringify(v), 'application/json; charset=utf-8');
    try {
      const path = url.pathname.slice('/__sandbox/'.length);
      if (path === 'agreements' || path.startsWith('agreements/')) return await o.agreementDesk.control(req, res, path);
      const read = req.method === 'GET' && Object.hasOwn(reads, path) ? reads[path] : undefined;
      if (read) return json(200, read(o.sandbox()));
      if (req.method !== 'POST') return json(404, { error: 'not found' });
      const text = await readBody(req);
      const b = (text ? JSON.parse(text) : {}) as ControlBody;
      const done = act(o.sandbox(), path, b);
      return done ? json(done[0], done[1]) : json(404, { error: 'not found' });
    } catch (e) {
      return json(e instanceof SandboxControlError ? 409 : 400, { error: (e as Error).message });
    }
  };
}

/**
 * The agreement desk of the Alipay sandbox (registered in index.ts): the sign-up page an
 * alipay.user.agreement.page.sign URL opens (GET /gateway.do, signature checked exactly as for every other
 * call), the page's buttons, the control routes under /__sandbox/agreements, and the in-process API tests
 * use (sandbox.agreements). The agreements themselves live in agreement-book.ts.
 *
 * Control routes (JSON in and out, CORS open for the H5 demo):
 *   GET  /__sandbox/agreements                 every agreement
 *   GET  /__sandbox/agreements/<agreementNo>   one
 *   POST /__sandbox/agreements/sign    {url, user?}           play the user: open a sign URL and confirm
 *   POST /__sandbox/agreements/unsign  {agreementNo}          the user ends it in the Alipay app
 *   POST /__sandbox/agreements/stop    {agreementNo}          Alipay pauses it (STOP); /resume undoes it
 *   POST /__sandbox/agreements/balance {user, balanceFen|null} a user's balance (0: every deduction refused)
 *   POST /__sandbox/agreements/hold    {times?}               the next deductions answer 10003
 *   POST /__sandbox/agreements/page/<token>  (form: user, action=sign|cancel)  the page's buttons
 * Faults (timeouts, forged answers, business errors, forged notifications) are the sandbox's usual
 * /__sandbox/fault, per method (alipay.user.agreement.query, alipay.trade.pay, …).
 */
import type http from 'node:http';
import { AgreementBook, AgreementControlError, type PageRefusal, type SandboxAgreement, type SignRequest } from './agreement-book';
import { refusalPage, resultPage, signPage } from './agreement-page';
import type { GatewayAnswer } from './book';
import type { SandboxUser } from './users';

export type { AgreementStatus, PageRefusal, SandboxAgreement, SignRequest } from './agreement-book';
export { AgreementBook, AgreementControlError, WITHHOLDING_PRODUCT } from './agreement-book';

export const PAGE_SIGN_METHOD = 'alipay.user.agreement.page.sign';
export const AGREEMENT_METHODS: readonly string[] = [PAGE_SIGN_METHOD, 'alipay.user.agreement.query', 'alipay.user.agreement.unsign'];

/** What tests (and the demo) do in process: sandbox.agreements. */
export interface AgreementSandbox {
  /** Play the user: open a page.sign URL (checked as the page checks it) and confirm as `user` (default: external_logon_id or "driver"). */
  sign(url: string, user?: string | SandboxUser): SandboxAgreement;
  /** Open a page.sign URL without confirming: the sign request, or the refusal Alipay's page would show. */
  open(url: string): SignRequest | PageRefusal;
  /** The user ends the agreement in the Alipay app (dut_user_unsign to the sign-up's notify_url). */
  userUnsign(agreementNo: string): SandboxAgreement;
  stop(agreementNo: string): SandboxAgreement;
  resume(agreementNo: string): SandboxAgreement;
  /** A user's balance in fen; null: enough for anything (the default). */
  setBalance(user: string | SandboxUser, balanceFen: number | null): void;
  balance(user: string | SandboxUser): number | null;
  /** The next `times` deductions answer 10003 (complete them with sandbox.pay(outTradeNo)). */
  holdNext(times?: number): void;
  list(): SandboxAgreement[];
  agreement(agreementNo: string): SandboxAgreement | undefined;
  byExternalNo(externalAgreementNo: string): SandboxAgreement[];
}

export interface AgreementDeskOptions {
  book: AgreementBook;
  appId: string;
  /** The gateway's common-parameter and signature check: undefined when the request may proceed. */
  verify: (params: Record<string, string>) => GatewayAnswer | undefined;
  userOf: (u: string | SandboxUser) => SandboxUser;
  readBody: (req: http.IncomingMessage) => Promise<string>;
}

export interface AgreementDesk {
  api: AgreementSandbox;
  /** GET /gateway.do?method=alipay.user.agreement.page.sign…: the page (or Alipay's error page). Returns the outcome for the request log. */
  page(res: http.ServerResponse, params: Record<string, string>, refused: GatewayAnswer | undefined): string;
  /** /__sandbox/agreements…: handled here. */
  control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST',
  'access-control-allow-headers': 'content-type',
};

const snapshot = <T>(v: T): T => structuredClone(v);

function isRefusal(v: SignRequest | PageRefusal): v is PageRefusal {
  return 'code' in v;
}

/** The query of a sign URL, first value of each key (as the gateway reads it). */
function urlParams(url: string): Record<string, string> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AgreementControlError('url is not a URL');
  }
  const out: Record<string, string> = {};
  for (const [k, v] of u.searchParams) if (!(k in out)) out[k] = v;
  return out;
}

interface ControlBody {
  url?: string;
  user?: string;
  agreementNo?: string;
  balanceFen?: number | null;
  times?: number;
}

/** POST /__sandbox/agreements/<action>: the status and the answer. */
function controlAction(api: AgreementSandbox, rest: string, b: ControlBody): [number, unknown] {
  const no = String(b.agreementNo ?? '');
  switch (rest) {
    case 'sign':
      return [200, api.sign(String(b.url ?? ''), b.user)];
    case 'unsign':
      return [200, api.userUnsign(no)];
    case 'stop':
      return [200, api.stop(no)];
    case 'resume':
      return [200, api.resume(no)];
    case 'balance':
      if (typeof b.user !== 'string' || (b.balanceFen !== null && typeof b.balanceFen !== 'number')) {
        return [400, { error: 'user and balanceFen (a number or null) are required' }];
      }
      api.setBalance(b.user, b.balanceFen);
      return [200, { user: b.user, balanceFen: api.balance(b.user) }];
    case 'hold':
      api.holdNext(b.times ?? 1);
      return [200, { ok: true }];
    default:
      return [404, { error: 'not found' }];
  }
}

/** The sandbox user a page proposes: the merchant's login id when it names a sandbox user. */
const defaultUser = (r: SignRequest): string => (r.externalLogonId && /^[A-Za-z0-9_.-]{1,32}$/.test(r.externalLogonId) ? r.externalLogonId : 'driver');

type OpenPage = (params: Record<string, string>, refused: GatewayAnswer | undefined) => SignRequest | PageRefusal;

/** What tests and the demo do in process (AgreementSandbox). */
function agreementApi(o: AgreementDeskOptions, open: OpenPage): AgreementSandbox {
  const { book } = o;
  return {
    sign: (url, user) => {
      const params = urlParams(url);
      const r = open(params, o.verify(params));
      if (isRefusal(r)) throw new AgreementControlError(`the sign page refuses: ${r.code} ${r.message}`);
      return snapshot(book.confirm(r.token, o.userOf(user ?? defaultUser(r))));
    },
    open: (url) => {
      const params = urlParams(url);
      return snapshot(open(params, o.verify(params)));
    },
    userUnsign: (no) => snapshot(book.userUnsign(no)),
    stop: (no) => snapshot(book.stop(no)),
    resume: (no) => snapshot(book.resume(no)),
    setBalance: (u, fen) => book.setBalance(o.userOf(u), fen),
    balance: (u) => book.balance(o.userOf(u)),
    holdNext: (times = 1) => book.holdNext(times),
    list: () => snapshot(book.list()),
    agreement: (no) => {
      const a = book.agreement(no);
      return a ? snapshot(a) : undefined;
    },
    byExternalNo: (no) => snapshot(book.byExternalNo(no)),
  };
}

export function createAgreementDesk(o: AgreementDeskOptions): AgreementDesk {
  const { book } = o;

  const open: OpenPage = (params, refused) => {
    if (params.method !== PAGE_SIGN_METHOD) return { code: 'isv.invalid-method', message: `not a ${PAGE_SIGN_METHOD} URL` };
    if (refused) return { code: String(refused.inner.sub_code ?? refused.inner.code), message: String(refused.inner.sub_msg ?? refused.inner.msg) };
    return book.openSignRequest(params);
  };
  const api = agreementApi(o, open);

  const html = (res: http.ServerResponse, status: number, body: string) => {
    res.writeHead(status, { 'content-type': 'text/html;charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const page: AgreementDesk['page'] = (res, params, refused) => {
    const r = open(params, refused);
    if (isRefusal(r)) {
      html(res, 200, refusalPage(r));
      return r.code;
    }
    html(res, 200, signPage(r, o.appId, defaultUser(r), book.existingFor(r)));
    return 'ok';
  };

  /** The page's buttons: sign (or back out), then back to the merchant's return_url. */
  const pageAction = async (req: http.IncomingMessage, res: http.ServerResponse, token: string) => {
    const form = new URLSearchParams(await o.readBody(req));
    const r = book.request(token);
    if (!r) return html(res, 404, refusalPage({ code: 'SIGN_PAGE_NOT_FOUND', message: '签约页面不存在或已失效' }));
    let agreement: SandboxAgreement | undefined;
    try {
      if (form.get('action') === 'cancel') book.cancel(token);
      else agreement = book.confirm(token, o.userOf(form.get('user') || defaultUser(r)));
    } catch (e) {
      return html(res, 409, refusalPage({ code: 'SIGN_REFUSED', message: (e as Error).message }));
    }
    if (r.returnUrl) {
      res.writeHead(303, { location: r.returnUrl, 'content-length': 0 });
      res.end();
      return;
    }
    return html(res, 200, resultPage(agreement ? 'signed' : 'cancelled', agreement));
  };

  const control: AgreementDesk['control'] = async (req, res, path) => {
    const json = (status: number, v: unknown) => {
      const body = JSON.stringify(v);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...CORS });
      res.end(body);
    };
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, CORS);
        return void res.end();
      }
      const rest = path.slice('agreements'.length).replace(/^\//, '');
      if (req.method === 'GET') {
        if (rest === '') return json(200, api.list());
        const a = api.agreement(rest);
        return a ? json(200, a) : json(404, { error: `no agreement ${rest}` });
      }
      if (req.method !== 'POST') return json(404, { error: 'not found' });
      if (rest.startsWith('page/')) return await pageAction(req, res, rest.slice('page/'.length));
      const text = await o.readBody(req);
      const b = (text ? JSON.parse(text) : {}) as ControlBody;
      const [status, body] = controlAction(api, rest, b);
      return json(status, body);
    } catch (e) {
      return json(e instanceof AgreementControlError ? 409 : 400, { error: (e as Error).message });
    }
  };

  return { api, page, control };
}

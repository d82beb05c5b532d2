/**
 * The WeChat login adapter against the sandbox over real HTTP: success (session_key dropped), every errcode
 * kind, transport failures (timeout, network, HTTP, garbage, redirects not followed), and the secret never
 * in an error.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WechatLoginClient, WechatLoginError, isWechatLoginError } from '../../../../server/src/adapter/wechat-login';
import { startWechatLoginSandbox, type WechatLoginSandbox } from '../../../../server/sandbox/wechat-login';

const SECRET = 'adapter-test-secret-5f2c9a17e0b3';
let sb: WechatLoginSandbox;
let client: WechatLoginClient;

beforeAll(async () => {
  sb = await startWechatLoginSandbox({ appSecret: SECRET });
  client = new WechatLoginClient(sb.app, { timeoutMs: 2000 });
});
afterAll(() => sb.stop());

async function failure(p: Promise<unknown>): Promise<WechatLoginError> {
  try {
    await p;
  } catch (e) {
    expect(isWechatLoginError(e)).toBe(true);
    const err = e as WechatLoginError;
    // Whatever went wrong, the secret is not in the error, however it is printed.
    for (const text of [err.message, JSON.stringify(err), String(err.stack)]) expect(text).not.toContain(SECRET);
    return err;
  }
  throw new Error('expected a WechatLoginError');
}

describe('code2Session', () => {
  it("answers the user's openid and nothing else (session_key is dropped)", async () => {
    const s = await client.code2Session(sb.issueCode('zhang'));
    expect(s).toEqual({ openId: sb.openIdOf('zhang') });
    const key = sb.calls().at(-1)!.sessionKey!;
    expect(JSON.stringify(s)).not.toContain(key);
  });

  it('answers the unionid when WeChat does', async () => {
    const withUnion = await startWechatLoginSandbox({ withUnionId: true });
    try {
      const s = await new WechatLoginClient(withUnion.app).code2Session(withUnion.issueCode('li'));
      expect(s).toEqual({ openId: withUnion.openIdOf('li'), unionId: withUnion.unionIdOf('li') });
    } finally {
      await withUnion.stop();
    }
  });

  it('takes a base URL with a trailing slash', async () => {
    const c = new WechatLoginClient({ ...sb.app, apiBaseUrl: `${sb.url}/` });
    expect((await c.code2Session(sb.issueCode('zhang'))).openId).toBe(sb.openIdOf('zhang'));
  });

  it('an invalid, reused or expired code is invalid_code, not retryable', async () => {
    const unknown = await failure(client.code2Session('0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P'));
    expect(unknown).toMatchObject({ kind: 'invalid_code', errcode: 40029, retryable: false });
    const code = sb.issueCode('zhang');
    await client.code2Session(code);
    expect(await failure(client.code2Session(code))).toMatchObject({ kind: 'invalid_code', errcode: 40163, retryable: false });
  });

  it('refuses an empty or absurd code before the wire', async () => {
    const before = sb.calls().length;
    for (const code of ['', 'x'.repeat(129), 'has space', '中文']) {
      expect(await failure(client.code2Session(code))).toMatchObject({ kind: 'invalid_request', retryable: false });
    }
    expect(sb.calls()).toHaveLength(before);
  });

  it('a wrong secret or appid is config (our fault), and the secret is not in the error', async () => {
    const wrong = new WechatLoginClient({ ...sb.app, appSecret: `${SECRET}-wrong` });
    const e = await failure(wrong.code2Session(sb.issueCode('zhang')));
    expect(e).toMatchObject({ kind: 'config', errcode: 40125, retryable: false });
    expect(e.message).not.toContain(`${SECRET}-wrong`);
    expect(await failure(new WechatLoginClient({ ...sb.app, appId: 'wx0000000000000009' }).code2Session(sb.issueCode('zhang')))).toMatchObject({
      kind: 'config',
      errcode: 40013,
    });
  });

  it('maps the errcodes WeChat documents', async () => {
    const cases: Array<[number, string, boolean]> = [
      [45011, 'rate_limited', true],
      [40226, 'risky_user', false],
      [-1, 'busy', true],
      [40029, 'invalid_code', false],
      [61234, 'unexpected_errcode', false],
    ];
    for (const [errcode, kind, retryable] of cases) {
      sb.inject({ type: 'errcode', errcode });
      const e = await failure(client.code2Session(sb.issueCode('zhang')));
      expect(e).toMatchObject({ kind, errcode, retryable });
      expect(e.message).toContain(`[${errcode}]`);
    }
  });

  it('reads errcode sent as a string too', async () => {
    const fake = await answering(200, '{"errcode":"45011","errmsg":"api minute-quota reach limit"}');
    try {
      expect(await failure(new WechatLoginClient({ ...sb.app, apiBaseUrl: fake.url }).code2Session('abc'))).toMatchObject({ kind: 'rate_limited', errcode: 45011 });
    } finally {
      await fake.stop();
    }
  });
});

describe('transport', () => {
  it('times out', async () => {
    sb.inject({ type: 'timeout' });
    const started = Date.now();
    // Two seconds: time for the request to reach the sandbox and use up the fault (else the next call meets it).
    const e = await failure(new WechatLoginClient(sb.app, { timeoutMs: 2_000 }).code2Session(sb.issueCode('zhang')));
    expect(e).toMatchObject({ kind: 'timeout', retryable: true });
    // The held answer would never come: giving up is the client's own timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('HTTP errors, garbage, a 200 without openid', async () => {
    sb.inject({ type: 'http', status: 502 });
    expect(await failure(client.code2Session(sb.issueCode('zhang')))).toMatchObject({ kind: 'http', httpStatus: 502, retryable: true });
    sb.inject({ type: 'garbage' });
    expect(await failure(client.code2Session(sb.issueCode('zhang')))).toMatchObject({ kind: 'bad_response', retryable: true });
    const fake = await answering(200, '{"openid":"oX"}');
    try {
      expect(await failure(new WechatLoginClient({ ...sb.app, apiBaseUrl: fake.url }).code2Session('abc'))).toMatchObject({ kind: 'bad_response' });
    } finally {
      await fake.stop();
    }
  });

  it('nobody listening is network', async () => {
    const gone = await answering(200, '{}');
    await gone.stop();
    expect(await failure(new WechatLoginClient({ ...sb.app, apiBaseUrl: gone.url }).code2Session('abc'))).toMatchObject({ kind: 'network', retryable: true });
  });

  it('does not follow a redirect (it would carry the secret elsewhere)', async () => {
    const elsewhere = await answering(200, '{"openid":"oStolen","session_key":"k"}');
    const redirecting = await answering(302, '', { location: `${elsewhere.url}/sns/jscode2session` });
    try {
      const e = await failure(new WechatLoginClient({ ...sb.app, apiBaseUrl: redirecting.url }).code2Session('abc'));
      expect(e).toMatchObject({ kind: 'http', httpStatus: 302 });
      expect(elsewhere.hits).toBe(0);
    } finally {
      await elsewhere.stop();
      await redirecting.stop();
    }
  });

  it('refuses to be built without appId or secret', () => {
    expect(() => new WechatLoginClient({ appId: '', appSecret: 'x' })).toThrow('appId is empty');
    expect(() => new WechatLoginClient({ appId: 'wx1', appSecret: '' })).toThrow('appSecret is empty');
  });
});

/** A server that answers every request the same. */
async function answering(status: number, body: string, headers: Record<string, string> = {}) {
  const state = { hits: 0 };
  const server = http.createServer((_req, res) => {
    state.hits++;
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return state.hits;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

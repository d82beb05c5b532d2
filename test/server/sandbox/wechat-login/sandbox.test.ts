/**
 * The WeChat login sandbox on its own, over raw HTTP: WeChat's framing (200, JSON labelled text/plain),
 * codes single-use and valid 5 minutes, stable openids per user per appid, every refusal's errcode, faults,
 * and the HTTP control API.
 */
import { ManualClock } from '../../../../server/src/core/clock';
import { startWechatLoginSandbox, WECHAT_CODE_TTL_MS, type WechatLoginSandbox } from '../../../../server/sandbox/wechat-login';

let sb: WechatLoginSandbox;
let clock: ManualClock;

beforeAll(async () => {
  clock = new ManualClock();
  sb = await startWechatLoginSandbox({ clock, appSecret: 'sandbox-secret-0123456789abcdef' });
});
afterAll(() => sb.stop());

async function exchange(code: string, o: { appid?: string; secret?: string; grant?: string | null; base?: string } = {}) {
  const q = new URLSearchParams({ appid: o.appid ?? sb.app.appId, secret: o.secret ?? sb.app.appSecret, js_code: code });
  if (o.grant !== null) q.set('grant_type', o.grant ?? 'authorization_code');
  const res = await fetch(`${o.base ?? sb.url}/sns/jscode2session?${q}`);
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, json: JSON.parse(text) as Record<string, unknown> };
}

describe('jscode2session', () => {
  it("answers like WeChat: 200, JSON as text/plain, openid and session_key", async () => {
    const r = await exchange(sb.issueCode('zhang'));
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain');
    expect(r.json).toEqual({ openid: sb.openIdOf('zhang'), session_key: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/) });
    expect(sb.openIdOf('zhang')).toMatch(/^o[A-Za-z0-9_-]{27}$/);
  });

  it('gives a user the same openid every time, other users and other appids other ones', async () => {
    const a = await exchange(sb.issueCode('li'));
    const b = await exchange(sb.issueCode('li'));
    expect(a.json.openid).toBe(b.json.openid);
    expect(a.json.session_key).not.toBe(b.json.session_key);
    expect(sb.openIdOf('li')).not.toBe(sb.openIdOf('zhang'));
    const other = await startWechatLoginSandbox({ appId: 'wx0000000000000002', withUnionId: true });
    try {
      const c = await exchange(other.issueCode('li'), { appid: other.app.appId, secret: other.app.appSecret, base: other.url });
      expect(c.json.openid).toBe(other.openIdOf('li'));
      expect(c.json.openid).not.toBe(a.json.openid);
      // unionid: the same user across the apps of one open platform account.
      expect(c.json.unionid).toBe(sb.unionIdOf('li'));
    } finally {
      await other.stop();
    }
  });

  it('a code is single use: 40163 code been used', async () => {
    const code = sb.issueCode('zhang');
    expect((await exchange(code)).json.openid).toBe(sb.openIdOf('zhang'));
    const again = await exchange(code);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ errcode: 40163, errmsg: expect.stringMatching(/^code been used, rid: \w+$/) });
  });

  it('a code is valid 5 minutes: 40029 invalid code after', async () => {
    const fresh = sb.issueCode('zhang');
    const old = sb.issueCode('zhang');
    clock.advance(WECHAT_CODE_TTL_MS - 1);
    expect((await exchange(fresh)).json.openid).toBeDefined();
    clock.advance(1);
    expect((await exchange(old)).json.errcode).toBe(40029);
  });

  it('refuses like WeChat: unknown code, wrong appid, wrong secret, missing pieces', async () => {
    const code = sb.issueCode('zhang');
    expect((await exchange('nonsense')).json.errcode).toBe(40029);
    expect((await exchange(code, { secret: 'wrong' })).json).toEqual({ errcode: 40125, errmsg: expect.stringContaining('invalid appsecret') });
    expect((await exchange(code, { appid: 'wx0000000000000009' })).json.errcode).toBe(40013);
    expect((await exchange(code, { appid: '' })).json.errcode).toBe(41002);
    expect((await exchange(code, { secret: '' })).json.errcode).toBe(41004);
    expect((await exchange(code, { grant: 'client_credential' })).json.errcode).toBe(40002);
    expect((await exchange(code, { grant: null })).json.errcode).toBe(40002);
    expect((await exchange('')).json.errcode).toBe(41008);
    // None of the refusals used the code up.
    expect((await exchange(code)).json.openid).toBe(sb.openIdOf('zhang'));
  });

  it('never keeps the secret in what it recorded', async () => {
    await exchange(sb.issueCode('zhang'));
    expect(JSON.stringify(sb.calls())).not.toContain(sb.app.appSecret);
    expect(sb.calls().at(-1)).toMatchObject({ appId: sb.app.appId, outcome: 'ok', user: 'zhang', openId: sb.openIdOf('zhang') });
  });
});

describe('faults', () => {
  it('answers an injected errcode (45011, 40226, -1) without using the code up', async () => {
    const code = sb.issueCode('zhang');
    sb.inject({ type: 'errcode', errcode: 45011 });
    sb.inject({ type: 'errcode', errcode: 40226 });
    sb.inject({ type: 'errcode', errcode: -1, errmsg: 'system error' });
    expect((await exchange(code)).json.errcode).toBe(45011);
    expect((await exchange(code)).json.errcode).toBe(40226);
    expect((await exchange(code)).json).toEqual({ errcode: -1, errmsg: expect.stringMatching(/^system error, rid/) });
    expect((await exchange(code)).json.openid).toBe(sb.openIdOf('zhang'));
  });

  it('HTTP errors, garbage, and no answer at all', async () => {
    sb.inject({ type: 'http', status: 503 });
    sb.inject({ type: 'garbage' });
    const q = `${sb.url}/sns/jscode2session?appid=x`;
    expect((await fetch(q)).status).toBe(503);
    expect(await (await fetch(q)).text()).toBe('<html>not json');
    sb.inject({ type: 'timeout' });
    await expect(fetch(q, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
  });
});

describe('control API over HTTP', () => {
  it('POST /__sandbox/code {user} issues a code that logs that user in', async () => {
    const res = await fetch(`${sb.url}/__sandbox/code`, { method: 'POST', body: JSON.stringify({ user: 'wang' }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const { code, openId } = (await res.json()) as { code: string; openId: string };
    expect(code).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(openId).toBe(sb.openIdOf('wang'));
    expect((await exchange(code)).json.openid).toBe(openId);
  });

  it('refuses bad user names and bodies; injects faults', async () => {
    const bad = await fetch(`${sb.url}/__sandbox/code`, { method: 'POST', body: JSON.stringify({ user: 'a b' }) });
    expect(bad.status).toBe(400);
    expect((await fetch(`${sb.url}/__sandbox/code`, { method: 'POST', body: '{' })).status).toBe(400);
    const f = await fetch(`${sb.url}/__sandbox/fault`, { method: 'POST', body: JSON.stringify({ fault: { type: 'errcode', errcode: 45011 } }) });
    expect(f.status).toBe(200);
    expect((await exchange(sb.issueCode('zhang'))).json.errcode).toBe(45011);
    expect((await fetch(`${sb.url}/__sandbox/app`)).status).toBe(200);
    expect((await fetch(`${sb.url}/elsewhere`)).status).toBe(404);
    expect(() => sb.issueCode('no spaces please')).toThrow('sandbox user name');
  });
});

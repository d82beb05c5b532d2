import { base64, errorOfAnswer, fetchBytes } from '../../../miniapp/src/packages/op/services/files';
import { opSession } from '../../../miniapp/src/packages/op/services/session';
import { fakeApi } from '../support/http';
import { resetTaroMock } from '../support/taro-mock';
import { opLoggedIn } from './support';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
});

describe('operator files', () => {
  it('base64 of bytes, every padding and all byte values, from an ArrayBuffer or a Uint8Array', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    for (let n = 0; n <= 7; n++) expect(base64(all.slice(250 - n, 250).buffer)).toBe(Buffer.from(all.slice(250 - n, 250)).toString('base64'));
    expect(base64(all)).toBe(Buffer.from(all).toString('base64'));
    const rnd = new Uint8Array(1000).map(() => Math.floor(Math.random() * 256));
    expect(base64(rnd.buffer)).toBe(Buffer.from(rnd).toString('base64'));
  });

  it('an error answer as bytes is read as the API error; a 401 ends the operator session', () => {
    opLoggedIn();
    const body = new TextEncoder().encode('{"error":{"code":"lane_unknown","message":"no such lane"}}');
    expect(errorOfAnswer(404, body.buffer)).toMatchObject({ code: 'lane_unknown', status: 404 });
    expect(opSession()).toBeDefined();
    expect(errorOfAnswer(502, new TextEncoder().encode('<html>bad gateway</html>'))).toMatchObject({ code: 'http_502' });
    expect(errorOfAnswer(401, new TextEncoder().encode('{"error":{"code":"unauthenticated","message":"x"}}'))).toMatchObject({ code: 'unauthenticated' });
    expect(opSession()).toBeUndefined();
  });

  it('fetchBytes: the bytes with the token; a lost network is `network`; not logged in sends nothing', async () => {
    await expect(fetchBytes('/api/op/x.png')).rejects.toMatchObject({ code: 'unauthenticated' });
    opLoggedIn();
    const api = fakeApi({ 'GET /api/op/x.png': [{ data: new Uint8Array([1, 2, 3]) }, 'network'] });
    expect(Array.from(new Uint8Array(await fetchBytes('/api/op/x.png')))).toEqual([1, 2, 3]);
    expect(api.sent[0]!.header.authorization).toMatch(/^Bearer /);
    await expect(fetchBytes('/api/op/x.png')).rejects.toMatchObject({ code: 'network' });
  });
});

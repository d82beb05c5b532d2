import {
  laneFromAlipayLaunch,
  laneFromPageParams,
  laneFromUrl,
  laneLink,
  lanePageUrl,
  parseLaneLink,
} from '../../../miniapp/src/services/laneLink';

const lane = { parkNumber: 'p_demo_001', passagewayId: '2' };
const link = 'https://pp.example.com/q/p_demo_001/2';

describe('the lane link format', () => {
  it('is https://<host>/q/<park>/<lane>, and parses back', () => {
    expect(laneLink('https://pp.example.com/', lane)).toBe(link);
    expect(parseLaneLink(link)).toEqual(lane);
  });

  it('encodes what needs encoding and decodes it back', () => {
    const odd = { parkNumber: '停车场-1', passagewayId: 'A 1' };
    const l = laneLink('https://pp.example.com', odd);
    expect(l).toBe('https://pp.example.com/q/%E5%81%9C%E8%BD%A6%E5%9C%BA-1/A%201');
    // A space is not a lane id we accept: such a code is damaged rather than half-read.
    expect(parseLaneLink(l)).toBeUndefined();
    expect(parseLaneLink(laneLink('https://x', { parkNumber: '停车场-1', passagewayId: '7' }))).toEqual({ parkNumber: '停车场-1', passagewayId: '7' });
  });

  it('takes a trailing slash, a query and a fragment; the path alone; the H5 lane page', () => {
    expect(parseLaneLink(`${link}/`)).toEqual(lane);
    expect(parseLaneLink(`${link}?from=poster#x`)).toEqual(lane);
    expect(parseLaneLink('/q/p_demo_001/2')).toEqual(lane);
    expect(parseLaneLink('https://pp.example.com/#/pages/lane/index?park=p_demo_001&lane=2')).toEqual(lane);
  });

  it('refuses anything else', () => {
    for (const bad of [
      'https://pp.example.com/q/p_demo_001',
      'https://pp.example.com/q/p_demo_001/2/3',
      'https://pp.example.com/x/p_demo_001/2',
      'https://pp.example.com/q/%E4%ZZ/2',
      `https://pp.example.com/q/${'p'.repeat(65)}/2`,
      `https://pp.example.com/q/p/${'1'.repeat(33)}`,
      'weixin://dl/business/?t=abc',
      '京A12345',
      '',
    ]) {
      expect(parseLaneLink(bad)).toBeUndefined();
    }
  });

  it('the in-app lane page URL', () => {
    expect(lanePageUrl(lane)).toBe('/pages/lane/index?park=p_demo_001&lane=2');
  });
});

describe('WeChat: the scanned URL arrives as page query q (URL-encoded) with scancode_time', () => {
  it('decodes q and keeps the scan time', () => {
    expect(laneFromPageParams({ q: encodeURIComponent(link), scancode_time: '1764370000' })).toEqual({ kind: 'lane', lane, scannedAt: 1764370000000 });
  });

  it('takes q encoded twice, or not at all', () => {
    expect(laneFromPageParams({ q: encodeURIComponent(encodeURIComponent(link)) })).toEqual({ kind: 'lane', lane });
    expect(laneFromPageParams({ q: link })).toEqual({ kind: 'lane', lane });
  });

  it('a foreign or damaged code is "damaged", with what was scanned', () => {
    expect(laneFromPageParams({ q: encodeURIComponent('https://elsewhere.example.com/pay?id=1') })).toMatchObject({ kind: 'damaged', reason: 'not a ParkPay lane code' });
    expect(laneFromPageParams({ q: '%E4%ZZ' })).toMatchObject({ kind: 'damaged', raw: '%E4%ZZ' });
  });
});

describe('Alipay: App onLaunch / onShow options query.qrCode', () => {
  it('reads the lane', () => {
    expect(laneFromAlipayLaunch({ query: { qrCode: link } })).toEqual({ kind: 'lane', lane });
    expect(laneFromAlipayLaunch({ query: { qrCode: encodeURIComponent(link) } })).toEqual({ kind: 'lane', lane });
  });

  it('no code: none; a bad one: damaged', () => {
    expect(laneFromAlipayLaunch(undefined)).toEqual({ kind: 'none' });
    expect(laneFromAlipayLaunch({ query: {} })).toEqual({ kind: 'none' });
    expect(laneFromAlipayLaunch({ query: { qrCode: 'https://pp.example.com/q/' } })).toMatchObject({ kind: 'damaged' });
  });
});

describe("H5: the app's own URL", () => {
  it('served at the lane link', () => {
    expect(laneFromUrl('http://127.0.0.1:8080/q/p_demo_001/2')).toEqual({ kind: 'lane', lane });
    expect(laneFromUrl('http://127.0.0.1:8080/q/p_demo_001/2#/pages/index/index')).toEqual({ kind: 'lane', lane });
  });

  it('the lane page route in the hash', () => {
    expect(laneFromUrl('http://127.0.0.1:8080/#/pages/lane/index?park=p_demo_001&lane=2')).toEqual({ kind: 'lane', lane });
  });

  it('a broken lane link is damaged; the home page is none', () => {
    expect(laneFromUrl('http://127.0.0.1:8080/q/p_demo_001')).toMatchObject({ kind: 'damaged' });
    expect(laneFromUrl('http://127.0.0.1:8080/#/pages/lane/index?park=p_demo_001')).toMatchObject({ kind: 'damaged' });
    expect(laneFromUrl('http://127.0.0.1:8080/#/pages/index/index')).toEqual({ kind: 'none' });
    expect(laneFromUrl('http://127.0.0.1:8080/')).toEqual({ kind: 'none' });
  });
});

describe('in-app links: park and lane query', () => {
  it('park + lane', () => {
    expect(laneFromPageParams({ park: 'p_demo_001', lane: '2' })).toEqual({ kind: 'lane', lane });
    expect(laneFromPageParams({ park: encodeURIComponent('停车场'), lane: '1' })).toEqual({ kind: 'lane', lane: { parkNumber: '停车场', passagewayId: '1' } });
  });

  it('one without the other is damaged; nothing is none', () => {
    expect(laneFromPageParams({ park: 'p_demo_001' })).toMatchObject({ kind: 'damaged' });
    expect(laneFromPageParams({})).toEqual({ kind: 'none' });
  });
});

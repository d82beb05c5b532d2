/**
 * The lane QR code: one link per lane, printed at the barrier,
 *
 *     https://<host>/q/<parkNumber>/<passagewayId>
 *
 * (both URL-encoded). The same printed code opens every build:
 * - WeChat ("扫普通链接二维码打开小程序", prefix https://<host>/q/): the page gets the scanned URL as query
 *   `q` (URL-encoded) and `scancode_time` (seconds);
 * - Alipay: App onLaunch gets `query.qrCode` (a warm start only calls onShow, so read it there too);
 * - H5 (demo, or a phone's camera on a browser): ParkPay serves the app at /q/…, so the app reads its own
 *   URL; inside the app the lane page is `#/pages/lane/index?park=…&lane=…`.
 * Anything else is a damaged or foreign code, and the app says so.
 */

export interface LaneRef {
  parkNumber: string;
  passagewayId: string;
}

export type LaneLaunch =
  | { kind: 'lane'; lane: LaneRef; /** When WeChat says the code was scanned (ms). */ scannedAt?: number }
  | { kind: 'damaged'; raw: string; reason: string }
  | { kind: 'none' };

/** The path segment of lane links. */
export const LANE_LINK_PREFIX = '/q/';
/** The in-app lane page. */
export const LANE_PAGE = '/pages/lane/index';

const PARK = /^[^\s/?#%]{1,64}$/;
const LANE = /^[^\s/?#%]{1,32}$/;

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function ref(parkRaw: string | undefined, laneRaw: string | undefined): LaneRef | undefined {
  if (parkRaw === undefined || laneRaw === undefined) return undefined;
  const parkNumber = safeDecode(parkRaw)?.trim();
  const passagewayId = safeDecode(laneRaw)?.trim();
  if (!parkNumber || !passagewayId || !PARK.test(parkNumber) || !LANE.test(passagewayId)) return undefined;
  return { parkNumber, passagewayId };
}

/** The printed link of a lane. */
export function laneLink(base: string, lane: LaneRef): string {
  return `${base.replace(/\/$/, '')}${LANE_LINK_PREFIX}${encodeURIComponent(lane.parkNumber)}/${encodeURIComponent(lane.passagewayId)}`;
}

/** The in-app page of a lane (for navigateTo / redirectTo, and the H5 hash route). */
export function lanePageUrl(lane: LaneRef): string {
  return `${LANE_PAGE}?park=${encodeURIComponent(lane.parkNumber)}&lane=${encodeURIComponent(lane.passagewayId)}`;
}

/** `a=1&b=2` → {a:'1', b:'2'} (values left encoded). */
function queryOf(search: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    out[k] = eq < 0 ? '' : part.slice(eq + 1).replace(/\+/g, '%20');
  }
  return out;
}

/**
 * A lane out of a link: `https://host/q/<park>/<lane>` (a trailing slash, query or fragment allowed), the
 * path alone (`/q/<park>/<lane>`), or the H5 page `…#/pages/lane/index?park=…&lane=…`. Undefined when it is
 * neither.
 */
export function parseLaneLink(text: string): LaneRef | undefined {
  const s = text.trim();
  // Scheme and host (any), then the path.
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/?#]+)?(\/[^?#]*)?(\?[^#]*)?(#.*)?$/i.exec(s);
  if (!m) return undefined;
  const path = m[1] ?? '';
  const q = /^\/q\/([^/]+)\/([^/]+)\/?$/.exec(path);
  if (q) return ref(q[1], q[2]);
  const hash = m[3] ?? '';
  const h = /^#(\/pages\/lane\/index)\??(.*)$/.exec(hash);
  if (h) {
    const query = queryOf(h[2] ?? '');
    return ref(query.park, query.lane);
  }
  return undefined;
}

/** Decode a scanned link handed over URL-encoded (WeChat's `q`, sometimes encoded twice). */
function unwrap(raw: string): string | undefined {
  let s = raw.trim();
  for (let i = 0; i < 3 && /%[0-9a-f]{2}/i.test(s) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(s); i++) {
    const d = safeDecode(s);
    if (d === undefined) return undefined;
    s = d;
  }
  return s;
}

function fromScanned(raw: string, scannedAt?: number): LaneLaunch {
  const text = unwrap(raw);
  const lane = text === undefined ? undefined : parseLaneLink(text);
  if (!lane) return { kind: 'damaged', raw, reason: text === undefined ? 'not decodable' : 'not a ParkPay lane code' };
  return scannedAt ? { kind: 'lane', lane, scannedAt } : { kind: 'lane', lane };
}

/**
 * A page's query (Taro's router params): `park` + `lane` (in-app links), WeChat's `q` + `scancode_time`,
 * or `qrCode` (Alipay, when handed on to a page).
 */
export function laneFromPageParams(params: Partial<Record<string, string>>): LaneLaunch {
  if (params.park !== undefined || params.lane !== undefined) {
    const lane = ref(params.park ?? '', params.lane ?? '');
    return lane ? { kind: 'lane', lane } : { kind: 'damaged', raw: `park=${params.park ?? ''}&lane=${params.lane ?? ''}`, reason: 'bad park or lane' };
  }
  if (params.q) {
    const t = Number(params.scancode_time);
    return fromScanned(params.q, Number.isFinite(t) && t > 0 ? t * 1000 : undefined);
  }
  if (params.qrCode) return fromScanned(params.qrCode);
  return { kind: 'none' };
}

/** Alipay App onLaunch / onShow options: `query.qrCode` is the scanned link. */
export function laneFromAlipayLaunch(options: { query?: Record<string, unknown> } | undefined): LaneLaunch {
  const code = options?.query?.qrCode;
  if (typeof code !== 'string' || !code) return { kind: 'none' };
  return fromScanned(code);
}

/**
 * The H5 app's own URL: served at `/q/<park>/<lane>` after a scan, or the lane page's hash route. Other
 * URLs (the home page) are 'none'.
 */
export function laneFromUrl(href: string): LaneLaunch {
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/?#]+)?(\/[^?#]*)?(\?[^#]*)?(#.*)?$/i.exec(href.trim());
  const path = m?.[1] ?? '';
  const hash = m?.[3] ?? '';
  if (path.startsWith(LANE_LINK_PREFIX)) {
    const lane = parseLaneLink(path);
    return lane ? { kind: 'lane', lane } : { kind: 'damaged', raw: href, reason: 'not a ParkPay lane code' };
  }
  if (hash.startsWith(`#${LANE_PAGE}`)) {
    const query = queryOf(hash.slice(hash.indexOf('?') + 1 || hash.length));
    return laneFromPageParams(query);
  }
  return { kind: 'none' };
}

/**
 * How a scan reaches the lane page on each platform. The App hands its launch/show options here
 * (Alipay's `query.qrCode` only reaches App onLaunch, and a warm start only calls onShow); the first page
 * takes the pending lane; a warm start with a new code goes to the lane page at once. H5 reads its own URL.
 */
import Taro from '@tarojs/taro';
import { LANE_LINK_PREFIX, LANE_PAGE, laneFromAlipayLaunch, laneFromPageParams, laneFromUrl, lanePageUrl, type LaneLaunch } from './laneLink';
import { platform } from './platform';

let pending: LaneLaunch = { kind: 'none' };
let appShown = false;
/** The last code handled, so coming back from the cashier (onShow again, same options) reopens nothing. */
let lastCode: string | undefined;

const codeOf = (l: LaneLaunch) => (l.kind === 'lane' ? `${l.lane.parkNumber}/${l.lane.passagewayId}/${l.scannedAt ?? ''}` : l.kind === 'damaged' ? l.raw : undefined);

/** What the launch or show options of the App say about a scanned lane code. */
export function laneOfAppOptions(options: { query?: Record<string, unknown> } | undefined): LaneLaunch {
  const p = platform();
  if (p === 'alipay') return laneFromAlipayLaunch(options);
  // H5: a lane link (/q/…) is handed on; the lane page's own route opens that page with its query, so
  // nothing is left pending for a later page (index.html turns a lane link into that route at once).
  if (p === 'h5') return typeof window !== 'undefined' && window.location.pathname.startsWith(LANE_LINK_PREFIX) ? laneFromUrl(window.location.href) : { kind: 'none' };
  // WeChat: the scanned URL arrives in the page's (and the launch options') query as `q`.
  const query = (options?.query ?? {}) as Record<string, string>;
  return laneFromPageParams({ q: query.q, scancode_time: query.scancode_time });
}

/** App onLaunch. */
export function onAppLaunch(options: { query?: Record<string, unknown> } | undefined): void {
  pending = laneOfAppOptions(options);
  lastCode = codeOf(pending);
}

/**
 * App onShow: an Alipay warm start with a new code opens its lane page now. (WeChat opens the page the
 * code is configured for with `q` itself; H5 reloads.)
 */
export function onAppShow(options: { query?: Record<string, unknown> } | undefined): void {
  const first = !appShown;
  appShown = true;
  if (first || platform() !== 'alipay') return; // the cold start is onAppLaunch's
  const launch = laneOfAppOptions(options);
  const code = codeOf(launch);
  if (code === undefined || code === lastCode) return;
  lastCode = code;
  if (launch.kind === 'lane') void Taro.reLaunch({ url: lanePageUrl(launch.lane) });
  else if (launch.kind === 'damaged') void Taro.reLaunch({ url: `${LANE_PAGE}?qrCode=${encodeURIComponent(launch.raw)}` });
}

/** The lane code the app was launched with, once (the first page takes it). */
export function takePendingLane(): LaneLaunch {
  const p = pending;
  pending = { kind: 'none' };
  return p;
}

/** The lane a page is about: its own query first, then the App's launch options, then (H5) the URL. */
export function resolveLane(params: Partial<Record<string, string>>): LaneLaunch {
  const own = laneFromPageParams(params);
  if (own.kind !== 'none') return own;
  const launched = takePendingLane();
  if (launched.kind !== 'none') return launched;
  if (platform() === 'h5' && typeof window !== 'undefined') {
    const fromUrl = laneFromUrl(window.location.href);
    // Served at /q/<park>/<lane>: take the code once, so going home later does not land here again.
    if (fromUrl.kind !== 'none' && window.location.pathname.startsWith(LANE_LINK_PREFIX)) {
      try {
        window.history.replaceState(window.history.state, '', `/${window.location.hash}`);
      } catch {
        // keep the URL
      }
    }
    return fromUrl;
  }
  return { kind: 'none' };
}

/**
 * Parks and lanes for operators.
 *
 * Parks: admins register a park (parkNumber, Bluecard key, Bluecard base URL, name, ParkSettings) and may
 * change everything; park operators may change the name and the settings of their parks; merchants neither.
 * The Bluecard key is write-only: no answer ever carries it (views say only whether one is set).
 *
 * Lanes: what the lot told us (4.21: passagewayId, its name, source/target area), with our own labels on
 * top (a name for drivers, the direction when the areas do not say it, a note). Each lane has its QR code:
 * the lane link `<public base>/q/<parkNumber>/<passagewayId>` that the mini-program parses
 * (miniapp/src/services/laneLink.ts), as PNG, SVG and an A4 poster (LaneCodeRenderer, adapter/posters).
 */
import type { Clock } from '../clock';
import { OperatorError } from './errors';
import type { Lane } from '../lot/model';
import { DEFAULT_DEDUCTION_LIMITS, type DeductionLimits } from '../lanepay/deduction-trust';
import { parkServiceInfo, type Park, type ParkSettings } from '../parks';
import { assertParkAccess, assertRole, visibleParks, type Operator } from './model';

export interface ParkStore {
  get(parkNumber: string): Promise<Park | undefined>;
  list(): Promise<Park[]>;
  /** False when the parkNumber is taken. */
  insert(park: Park): Promise<boolean>;
  /** One atomic update; undefined when there is no such park. `name: ''` removes the name. */
  update(parkNumber: string, patch: Partial<Omit<Park, 'parkNumber'>>): Promise<Park | undefined>;
}

/** Our labels of a lane (the lot's own name and areas stay as 4.21 sent them). */
export interface LaneLabel {
  parkNumber: string;
  passagewayId: string;
  name?: string;
  direction?: 'in' | 'out';
  note?: string;
  updatedAt: Date;
  updatedBy: string;
}

export interface LaneLabelRepository {
  list(parkNumber: string): Promise<LaneLabel[]>;
  get(parkNumber: string, passagewayId: string): Promise<LaneLabel | undefined>;
  /** Set or (null) clear each field given; answers the labels after. */
  set(
    parkNumber: string,
    passagewayId: string,
    patch: { name?: string | null; direction?: 'in' | 'out' | null; note?: string | null },
    by: { at: Date; username: string },
  ): Promise<LaneLabel>;
}

export interface LaneSource {
  /** The lanes of 4.21 (core/lot). */
  lanes(parkNumber: string): Promise<Lane[]>;
}

/** Draws lane codes (adapter/posters). */
export interface LaneCodeRenderer {
  png(link: string, opts?: { size?: number }): Promise<Buffer>;
  svg(link: string): Promise<string>;
  /** An A4 PDF poster for the lane. Throws PosterFontMissing when no CJK font is installed. */
  poster(p: LanePoster): Promise<Buffer>;
}

/** The renderer has no CJK font for a poster's text (nothing is drawn); the message says how to install one. */
export class PosterFontMissing extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PosterFontMissing';
  }
}

export interface LanePoster {
  link: string;
  parkName: string;
  parkNumber: string;
  laneName: string;
  passagewayId: string;
  direction: 'in' | 'out' | null;
  /** The park's tariff and service information (what is unsaid is null: the poster leaves it out). */
  service: ReturnType<typeof parkServiceInfo>;
}

/** The settings in effect for a park: its own, else the defaults ParkPay applies. */
export interface EffectiveSettings {
  /** null: no payment provider for lane QR codes is set up on this server. */
  laneQrProvider: 'wechat' | 'alipay' | null;
  channelPayPolicy: 'secured' | 'accepted';
  openGate: { blacklist: boolean; bookings: boolean };
  /** What a lane may take from one withholding agreement, in fen: per deduction, per agreement per day. */
  withholding: DeductionLimits;
  /** Which of them take the default (the park says nothing): 'laneQrProvider', 'openGate.blacklist', … */
  defaulted: string[];
}

/**
 * What applies (core/lanepay reads the same: lane-qr.ts qrProvider, lane-deductions.ts, open-gate.ts,
 * deduction-trust.ts): the lane QR of the park's provider when set up here, else the first set up, WeChat
 * first; channel pay 'secured'; both open-gate rules on; the withholding caps' defaults.
 */
export function effectiveSettings(settings: ParkSettings | undefined, laneQrProviders: readonly ('wechat' | 'alipay')[]): EffectiveSettings {
  const s = settings ?? {};
  const defaulted: string[] = [];
  const wanted = s.laneQrProvider && laneQrProviders.includes(s.laneQrProvider) ? s.laneQrProvider : undefined;
  if (!wanted) defaulted.push('laneQrProvider');
  if (!s.channelPayPolicy) defaulted.push('channelPayPolicy');
  if (s.openGate?.blacklist === undefined) defaulted.push('openGate.blacklist');
  if (s.openGate?.bookings === undefined) defaulted.push('openGate.bookings');
  if (s.withholding?.maxPerDeductionFen === undefined) defaulted.push('withholding.maxPerDeductionFen');
  if (s.withholding?.maxPerDayFen === undefined) defaulted.push('withholding.maxPerDayFen');
  return {
    laneQrProvider: wanted ?? (laneQrProviders.includes('wechat') ? 'wechat' : laneQrProviders.includes('alipay') ? 'alipay' : null),
    channelPayPolicy: s.channelPayPolicy ?? 'secured',
    openGate: { blacklist: s.openGate?.blacklist !== false, bookings: s.openGate?.bookings !== false },
    withholding: {
      maxPerDeductionFen: s.withholding?.maxPerDeductionFen ?? DEFAULT_DEDUCTION_LIMITS.maxPerDeductionFen,
      maxPerDayFen: s.withholding?.maxPerDayFen ?? DEFAULT_DEDUCTION_LIMITS.maxPerDayFen,
    },
    defaulted,
  };
}

export type LaneDirection = 'in' | 'out' | null;

/** From 4.21's areas: area 0 is outside the park. */
export function directionOfAreas(l: Pick<Lane, 'sourceAreaId' | 'targetAreaId'>): LaneDirection {
  if (l.sourceAreaId === '0' && l.targetAreaId !== '0') return 'in';
  if (l.targetAreaId === '0' && l.sourceAreaId !== '0') return 'out';
  return null;
}

export interface OperatorLane {
  parkNumber: string;
  passagewayId: string;
  /** Ours when set, else the lot's. */
  name: string;
  /** What the lot calls it (4.21). */
  lotName: string;
  direction: LaneDirection;
  /** 'label': set by an operator; 'areas': from 4.21's areas; 'unknown'. */
  directionFrom: 'label' | 'areas' | 'unknown';
  note: string | null;
  sourceAreaId: string;
  targetAreaId: string;
  /** When the lot last told us about it. */
  lotUpdatedAt: Date;
  /** The link its QR code holds. */
  link: string;
}

/** Park numbers and lane ids that fit in a lane link (miniapp/src/services/laneLink.ts takes these). */
export const PARK_NUMBER = /^[A-Za-z0-9_.-]{1,64}$/;
export const LANE_ID = /^[^\s/?#%]{1,32}$/;

/** `<base>/q/<parkNumber>/<passagewayId>`, as the mini-program's laneLink() builds it. */
export function laneLink(base: string, parkNumber: string, passagewayId: string): string {
  return `${base.replace(/\/$/, '')}/q/${encodeURIComponent(parkNumber)}/${encodeURIComponent(passagewayId)}`;
}

export interface ParkEdit {
  name?: string;
  key?: string;
  bluecardBaseUrl?: string;
  settings?: ParkSettings;
}

export interface ParkAdminDeps {
  parks: ParkStore;
  lanes: LaneSource;
  labels: LaneLabelRepository;
  renderer?: LaneCodeRenderer;
  /** The public base URL lane links start with (PARKPAY_PUBLIC_BASE_URL). */
  publicBaseUrl: string;
  clock: Clock;
  /** The payment providers set up for lane QR codes (4.16), WeChat first; none: []. */
  laneQrProviders?: readonly ('wechat' | 'alipay')[];
}

function checkBaseUrl(u: string): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new OperatorError('invalid_url', 'the Bluecard base URL is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OperatorError('invalid_url', 'the Bluecard base URL must be http(s)');
  if (url.username || url.password) throw new OperatorError('invalid_url', 'the Bluecard base URL may not carry credentials');
  return u.replace(/\/+$/, '');
}

export class ParkAdminService {
  constructor(private readonly deps: ParkAdminDeps) {}

  async listParks(op: Operator): Promise<Park[]> {
    assertRole(op, 'admin', 'operator', 'merchant');
    const all = await this.deps.parks.list();
    return visibleParks(op, all).sort((a, b) => a.parkNumber.localeCompare(b.parkNumber));
  }

  async park(op: Operator, parkNumber: string): Promise<Park> {
    assertParkAccess(op, parkNumber);
    const p = await this.deps.parks.get(parkNumber);
    if (!p) throw new OperatorError('park_unknown', `no park ${parkNumber} is registered`);
    return p;
  }

  /** Admins: register a park with ParkPay. */
  async registerPark(op: Operator, input: { parkNumber: string; key: string; bluecardBaseUrl: string; name?: string; settings?: ParkSettings }): Promise<Park> {
    assertRole(op, 'admin');
    const parkNumber = input.parkNumber.trim();
    if (!PARK_NUMBER.test(parkNumber)) throw new OperatorError('invalid_park_number', 'a park number is 1–64 letters, digits, _ . -');
    const park: Park = { parkNumber, key: input.key, bluecardBaseUrl: checkBaseUrl(input.bluecardBaseUrl) };
    if (input.name?.trim()) park.name = input.name.trim();
    if (input.settings) park.settings = input.settings;
    if (!(await this.deps.parks.insert(park))) throw new OperatorError('park_exists', `park ${parkNumber} is registered already`);
    return park;
  }

  /** Admins: everything; park operators: name and settings of their parks. */
  async updatePark(op: Operator, parkNumber: string, edit: ParkEdit): Promise<Park> {
    assertRole(op, 'admin', 'operator');
    assertParkAccess(op, parkNumber);
    if ((edit.key !== undefined || edit.bluecardBaseUrl !== undefined) && op.role !== 'admin') {
      throw new OperatorError('forbidden_role', "only an admin may change a park's Bluecard key or URL");
    }
    const patch: Partial<Omit<Park, 'parkNumber'>> = {};
    if (edit.name !== undefined) patch.name = edit.name.trim();
    if (edit.key !== undefined) patch.key = edit.key;
    if (edit.bluecardBaseUrl !== undefined) patch.bluecardBaseUrl = checkBaseUrl(edit.bluecardBaseUrl);
    if (edit.settings !== undefined) {
      const current = await this.park(op, parkNumber);
      patch.settings = mergeSettings(current.settings, edit.settings);
    }
    const after = await this.deps.parks.update(parkNumber, patch);
    if (!after) throw new OperatorError('park_unknown', `no park ${parkNumber} is registered`);
    return after;
  }

  // ── lanes ──────────────────────────────────────────────────────────────────────────────────

  link(parkNumber: string, passagewayId: string): string {
    return laneLink(this.deps.publicBaseUrl, parkNumber, passagewayId);
  }

  async lanes(op: Operator, parkNumber: string): Promise<OperatorLane[]> {
    assertRole(op, 'admin', 'operator');
    await this.park(op, parkNumber);
    const [lanes, labels] = await Promise.all([this.deps.lanes.lanes(parkNumber), this.deps.labels.list(parkNumber)]);
    const byId = new Map(labels.map((l) => [l.passagewayId, l]));
    return lanes
      .map((l) => this.view(l, byId.get(l.passagewayId)))
      .sort((a, b) => a.passagewayId.localeCompare(b.passagewayId, 'en', { numeric: true }));
  }

  async lane(op: Operator, parkNumber: string, passagewayId: string): Promise<OperatorLane> {
    assertRole(op, 'admin', 'operator');
    await this.park(op, parkNumber);
    const lane = (await this.deps.lanes.lanes(parkNumber)).find((l) => l.passagewayId === passagewayId);
    if (!lane) throw new OperatorError('lane_unknown', `the lot has not told us of a lane ${passagewayId} (4.21)`);
    return this.view(lane, await this.deps.labels.get(parkNumber, passagewayId));
  }

  /** Admins and park operators: our name, direction and note of a lane (null clears one). */
  async updateLane(
    op: Operator,
    parkNumber: string,
    passagewayId: string,
    patch: { name?: string | null; direction?: 'in' | 'out' | null; note?: string | null },
  ): Promise<OperatorLane> {
    assertRole(op, 'admin', 'operator');
    const lane = await this.lane(op, parkNumber, passagewayId);
    const clean = {
      ...(patch.name !== undefined ? { name: patch.name?.trim() || null } : {}),
      ...(patch.direction !== undefined ? { direction: patch.direction } : {}),
      ...(patch.note !== undefined ? { note: patch.note?.trim() || null } : {}),
    };
    const label = await this.deps.labels.set(parkNumber, lane.passagewayId, clean, { at: new Date(this.deps.clock.now()), username: op.username });
    const lot = (await this.deps.lanes.lanes(parkNumber)).find((l) => l.passagewayId === passagewayId)!;
    return this.view(lot, label);
  }

  private view(l: Lane, label: LaneLabel | undefined): OperatorLane {
    const fromAreas = directionOfAreas(l);
    const direction = label?.direction ?? fromAreas;
    return {
      parkNumber: l.parkNumber,
      passagewayId: l.passagewayId,
      name: label?.name || l.name || l.passagewayId,
      lotName: l.name,
      direction,
      directionFrom: label?.direction ? 'label' : fromAreas ? 'areas' : 'unknown',
      note: label?.note || null,
      sourceAreaId: l.sourceAreaId,
      targetAreaId: l.targetAreaId,
      lotUpdatedAt: l.updatedAt,
      link: this.link(l.parkNumber, l.passagewayId),
    };
  }

  // ── QR codes and posters ───────────────────────────────────────────────────────────────────

  private renderer(): LaneCodeRenderer {
    if (!this.deps.renderer) throw new OperatorError('not_offered', 'lane codes are not drawn here');
    return this.deps.renderer;
  }

  async qrPng(op: Operator, parkNumber: string, passagewayId: string, size?: number): Promise<{ lane: OperatorLane; png: Buffer }> {
    const lane = await this.lane(op, parkNumber, passagewayId);
    return { lane, png: await this.renderer().png(lane.link, { size }) };
  }

  async qrSvg(op: Operator, parkNumber: string, passagewayId: string): Promise<{ lane: OperatorLane; svg: string }> {
    const lane = await this.lane(op, parkNumber, passagewayId);
    return { lane, svg: await this.renderer().svg(lane.link) };
  }

  async poster(op: Operator, parkNumber: string, passagewayId: string): Promise<{ lane: OperatorLane; pdf: Buffer }> {
    const park = await this.park(op, parkNumber);
    const lane = await this.lane(op, parkNumber, passagewayId);
    const pdf = await this.renderer()
      .poster({
        link: lane.link,
        parkName: park.name || parkNumber,
        parkNumber,
        laneName: lane.name,
        passagewayId: lane.passagewayId,
        direction: lane.direction,
        service: parkServiceInfo(park),
      })
      .catch((e: unknown) => {
        if (e instanceof PosterFontMissing) throw new OperatorError('poster_font_missing', e.message);
        throw e;
      });
    return { lane, pdf };
  }

  /** The settings in effect for the park, defaults included. */
  effective(park: Park): EffectiveSettings {
    return effectiveSettings(park.settings, this.deps.laneQrProviders ?? []);
  }
}

/** Settings edits merge field by field (openGate too): what an edit leaves out stays as it was. */
export function mergeSettings(current: ParkSettings | undefined, edit: ParkSettings): ParkSettings {
  const out: ParkSettings = { ...(current ?? {}), ...edit };
  if (edit.openGate || current?.openGate) out.openGate = { ...(current?.openGate ?? {}), ...(edit.openGate ?? {}) };
  if (edit.service || current?.service) out.service = { ...(current?.service ?? {}), ...(edit.service ?? {}) };
  if (edit.withholding || current?.withholding) out.withholding = { ...(current?.withholding ?? {}), ...(edit.withholding ?? {}) };
  for (const k of Object.keys(out) as (keyof ParkSettings)[]) if (out[k] === undefined) delete out[k];
  return out;
}

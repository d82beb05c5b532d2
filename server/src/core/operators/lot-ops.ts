/**
 * What operators do to and see of a lot: lift a lane's barrier (4.22) in two steps, the state of
 * every guidance space by layer (4.33), where a car is (4.34), and the pictures of a stay (stored from 4.14,
 * else asked of the lot with 4.20).
 *
 * Barrier lift: a request names the lane and the reason and answers a confirmation (valid 30 s, for this
 * operator and this lane only); the lift spends it (once: a second lift needs a new request, so a double
 * click or a retried request can never open a barrier twice). A lift whose outcome is unknown (the lot did
 * not answer) is said to be unknown: the barrier may have opened. Both steps are audited by mount().
 *
 * The lot's failures (GatewayFailures, core/gateway-failure.ts) become answers an operator can act on here:
 *  - lot_refused: the lot answered fail (what it said in the message and in details.lotSays);
 *  - lot_unreachable: no answer — for a lift, the barrier MAY have opened (the message says so; details.outcomeUnknown);
 *  - lot_bad_answer: an answer we cannot read;
 *  - validation_failed: we could not put the request to the lot (nothing was sent).
 */
import { createHash, randomBytes } from 'node:crypto';
import { normalizePlate } from '../../../../shared/plate';
import type { Clock } from '../clock';
import { AppError } from '../errors';
import { GatewayFailure } from '../gateway-failure';
import { OperatorError } from './errors';
import type { Stay } from '../lot/model';
import type { Park, ParkDirectory } from '../parks';
import { assertParkAccess, assertRole, type Operator } from './model';
import { directionOfAreas, type LaneDirection, type LaneLabelRepository, type LaneSource } from './parks';

/** The lot's down calls operators use; they fail with GatewayFailures, which lotFailure says to operators. */
export interface OperatorLotGateway {
  liftBarrier(park: Park, passagewayId: string): Promise<void>;
  allSpaces(park: Park): Promise<{ layerId: string; layerName: string; spaceId: string; occupied: boolean; plate: string; carType: string }[]>;
  findCars(
    park: Park,
    plate: string,
  ): Promise<{ layerId: string; layerName: string; spaceId: string; plate: string; carType: string; imageUrl: string | null; x: number | null; y: number | null }[]>;
  /** 4.20: picture name → URL at the lot, for the names the lot knows. */
  imageUrls(park: Park, names: string[]): Promise<Map<string, string>>;
}

export interface LiftConfirmation {
  /** sha256 of the confirmation id handed out. */
  idHash: string;
  parkNumber: string;
  passagewayId: string;
  operatorId: string;
  reason: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt?: Date;
}

export type ConsumeOutcome =
  | { outcome: 'ok'; confirmation: LiftConfirmation }
  | { outcome: 'unknown' }
  | { outcome: 'expired' }
  | { outcome: 'used' };

export interface LiftConfirmationRepository {
  insert(c: LiftConfirmation): Promise<void>;
  /**
   * Spend a confirmation: one atomic update that succeeds only when it is this operator's, for this lane,
   * unspent and not expired at `now`. Otherwise says why.
   */
  consume(idHash: string, match: { operatorId: string; parkNumber: string; passagewayId: string }, now: Date): Promise<ConsumeOutcome>;
}

export interface StayRecords {
  findStay(parkNumber: string, orderId: string): Promise<Stay | undefined>;
  staysOfPlate(parkNumber: string, plateKey: string, limit: number): Promise<Stay[]>;
  findImage(parkNumber: string, imageName: string): Promise<{ imageName: string } | undefined>;
}

export interface LotOpsDeps {
  parks: ParkDirectory;
  lanes: LaneSource;
  labels: LaneLabelRepository;
  lot: OperatorLotGateway;
  confirmations: LiftConfirmationRepository;
  records: StayRecords;
  /** A short-lived link to a stored picture (ParkingService.imageLink). */
  imageLink(parkNumber: string, imageName: string): string;
  clock: Clock;
  liftConfirmTtlMs?: number;
}

export const LIFT_CONFIRM_TTL_MS = 30_000;

const hashId = (id: string) => createHash('sha256').update(id, 'utf8').digest('hex');

/**
 * A failed call to the lot `what` (e.g. "for the space status"), as the operator is told it; `unknownOutcome`:
 * what the operator must know when the lot may have done it without answering. Anything but a failure of the
 * lot's call (a bug, a failure of ours) is thrown as it is.
 */
export function lotFailure(e: unknown, what: string, unknownOutcome?: string): never {
  if (!(e instanceof GatewayFailure)) throw e;
  const unknown = unknownOutcome ? `: ${unknownOutcome}` : '';
  const outcome = unknownOutcome ? { outcomeUnknown: true } : undefined;
  switch (e.failure) {
    case 'refused': {
      const says = e.providerCode || e.providerMessage || '(no reason given)';
      throw new OperatorError('lot_refused', `the lot refused ${what}: ${says}`, { lotSays: says });
    }
    case 'unreachable':
      throw new OperatorError('lot_unreachable', `the lot did not answer ${what}${unknown}`, outcome);
    case 'bad_answer':
      throw new OperatorError('lot_bad_answer', `the lot's answer to ${what} could not be read${unknown}`, outcome);
    case 'invalid_request':
      throw new OperatorError('validation_failed', `cannot ask the lot ${what}: ${e.message}`);
    default:
      throw e;
  }
}

export interface LiftLane {
  passagewayId: string;
  name: string;
  direction: LaneDirection;
}

export interface StayPicture {
  kind: 'entry' | 'exit';
  imageName: string;
  /** A link that shows it, or null when neither we nor the lot have it. */
  url: string | null;
  source: 'stored' | 'lot' | 'none';
}

export class LotOpsService {
  private readonly ttlMs: number;
  constructor(private readonly deps: LotOpsDeps) {
    this.ttlMs = deps.liftConfirmTtlMs ?? LIFT_CONFIRM_TTL_MS;
  }

  private async park(op: Operator, parkNumber: string): Promise<Park> {
    assertRole(op, 'admin', 'operator');
    assertParkAccess(op, parkNumber);
    const park = await this.deps.parks.get(parkNumber);
    if (!park) throw new OperatorError('park_unknown', `no park ${parkNumber} is registered`);
    return park;
  }

  private async lane(parkNumber: string, passagewayId: string): Promise<LiftLane> {
    const lane = (await this.deps.lanes.lanes(parkNumber)).find((l) => l.passagewayId === passagewayId);
    if (!lane) throw new OperatorError('lane_unknown', `the lot has not told us of a lane ${passagewayId} (4.21)`);
    const label = await this.deps.labels.get(parkNumber, passagewayId);
    return { passagewayId, name: label?.name || lane.name || passagewayId, direction: label?.direction ?? directionOfAreas(lane) };
  }

  // ── barrier lift (4.22) ────────────────────────────────────────────────────────────────────

  /** Step 1: answers a confirmation id for this operator and lane, valid for 30 s. */
  async requestLift(op: Operator, parkNumber: string, passagewayId: string, reason: string) {
    await this.park(op, parkNumber);
    const lane = await this.lane(parkNumber, passagewayId);
    const now = this.deps.clock.now();
    const confirmationId = randomBytes(18).toString('base64url');
    const expiresAt = new Date(now + this.ttlMs);
    await this.deps.confirmations.insert({
      idHash: hashId(confirmationId),
      parkNumber,
      passagewayId,
      operatorId: op.id,
      reason: reason.trim(),
      createdAt: new Date(now),
      expiresAt,
    });
    return { confirmationId, expiresAt, lane };
  }

  /** Step 2: spend the confirmation and open the barrier. */
  async lift(op: Operator, parkNumber: string, passagewayId: string, confirmationId: string) {
    const park = await this.park(op, parkNumber);
    const lane = await this.lane(parkNumber, passagewayId);
    const now = new Date(this.deps.clock.now());
    const r = await this.deps.confirmations.consume(hashId(confirmationId), { operatorId: op.id, parkNumber, passagewayId }, now);
    if (r.outcome === 'unknown') throw new OperatorError('confirmation_unknown', 'no such confirmation for you and this lane: request the lift again');
    if (r.outcome === 'expired') throw new OperatorError('confirmation_expired', 'the confirmation has expired: request the lift again');
    if (r.outcome === 'used') throw new OperatorError('confirmation_used', 'this confirmation was used already: request the lift again');
    await this.deps.lot
      .liftBarrier(park, passagewayId)
      .catch((e: unknown) => lotFailure(e, `to lift the barrier of lane ${passagewayId}`, 'the barrier may or may not have opened — look before lifting again'));
    return { liftedAt: now, lane, reason: r.confirmation.reason };
  }

  // ── spaces (4.33), find a car (4.34) ───────────────────────────────────────────────────────

  async spaces(op: Operator, parkNumber: string) {
    const park = await this.park(op, parkNumber);
    const all = await this.deps.lot.allSpaces(park).catch((e: unknown) => lotFailure(e, 'for the space status'));
    const layers = new Map<string, { layerId: string; layerName: string; spaces: typeof all }>();
    for (const s of all) {
      const key = s.layerId || s.layerName;
      if (!layers.has(key)) layers.set(key, { layerId: s.layerId, layerName: s.layerName, spaces: [] });
      layers.get(key)!.spaces.push(s);
    }
    const out = [...layers.values()]
      .sort((a, b) => a.layerId.localeCompare(b.layerId, 'en', { numeric: true }))
      .map((l) => {
        const occupied = l.spaces.filter((s) => s.occupied).length;
        return {
          layerId: l.layerId,
          layerName: l.layerName,
          total: l.spaces.length,
          occupied,
          free: l.spaces.length - occupied,
          spaces: l.spaces
            .sort((a, b) => a.spaceId.localeCompare(b.spaceId, 'en', { numeric: true }))
            .map((s) => ({ spaceId: s.spaceId, occupied: s.occupied, plate: s.occupied ? s.plate : '', carType: s.occupied ? s.carType : '' })),
        };
      });
    const occupied = out.reduce((n, l) => n + l.occupied, 0);
    const total = out.reduce((n, l) => n + l.total, 0);
    return { total, occupied, free: total - occupied, layers: out, fetchedAt: new Date(this.deps.clock.now()) };
  }

  /** A plate (at least 4 characters, matched loosely by the lot), or '' for every unlicensed car. */
  async findCar(op: Operator, parkNumber: string, plate: string) {
    const park = await this.park(op, parkNumber);
    const p = plate.replace(/\s+/g, '');
    if (p !== '' && [...p].length < 4) throw new OperatorError('plate_too_short', 'give at least 4 characters of the plate, or none for every unlicensed car');
    return this.deps.lot.findCars(park, p).catch((e: unknown) => lotFailure(e, 'where the car is'));
  }

  // ── stays and their pictures ───────────────────────────────────────────────────────────────

  /** The stays of a plate in the park, in or out, newest first (at most 20). */
  async stays(op: Operator, parkNumber: string, plate: string): Promise<Stay[]> {
    await this.park(op, parkNumber);
    const key = normalizePlate(plate);
    if (!key) throw new OperatorError('validation_failed', 'give a plate');
    return this.deps.records.staysOfPlate(parkNumber, key, 20);
  }

  /**
   * The entry and exit pictures of a stay: stored ones (4.14) as our short-lived links; the others asked of
   * the lot by name (4.20, the name exactly as the record had it). `lotError` says when the lot could not be
   * asked.
   */
  async stayPictures(op: Operator, parkNumber: string, orderId: string) {
    const park = await this.park(op, parkNumber);
    const stay = await this.deps.records.findStay(parkNumber, orderId);
    if (!stay) throw new OperatorError('stay_unknown', `no stay ${orderId} in park ${parkNumber}`);
    const wanted: { kind: 'entry' | 'exit'; imageName: string }[] = [];
    if (stay.entry?.inImage) wanted.push({ kind: 'entry', imageName: stay.entry.inImage });
    if (stay.exit?.outImage) wanted.push({ kind: 'exit', imageName: stay.exit.outImage });
    const pictures: StayPicture[] = [];
    const missing: string[] = [];
    for (const w of wanted) {
      const stored = await this.deps.records.findImage(parkNumber, w.imageName);
      if (stored) pictures.push({ ...w, url: this.deps.imageLink(parkNumber, w.imageName), source: 'stored' });
      else {
        pictures.push({ ...w, url: null, source: 'none' });
        missing.push(w.imageName);
      }
    }
    let lotError: string | null = null;
    if (missing.length) {
      try {
        const urls = await this.deps.lot.imageUrls(park, missing).catch((e: unknown) => lotFailure(e, 'for the pictures'));
        for (const p of pictures) {
          const u = p.source === 'none' ? urls.get(p.imageName) : undefined;
          if (u) Object.assign(p, { url: u, source: 'lot' as const });
        }
      } catch (e) {
        // Said, not thrown: the stored pictures are still worth showing (a refusal may be "图片不存在").
        if (!(e instanceof AppError)) throw e;
        lotError = e.message;
      }
    }
    return { stay, pictures, lotError };
  }
}

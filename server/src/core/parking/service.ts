/**
 * Parks as drivers see them: name, free spaces (4.1 heartbeats), lanes (4.21), the driver's cars in parks
 * (bound plates' stays from 4.2 records, and the unlicensed entries the driver made), where a car is
 * parked (4.34), and entry pictures (4.14) behind short-lived signed links. A stay's entry time, picture and
 * the car's place are shown only for a plate the driver has proved at that park (proofs.ts); otherwise only
 * that a car with this plate is here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { normalizePlate } from '../../../../shared/plate';
import type { Clock } from '../clock';
import { AppError } from '../errors';
import { ParkingError } from './errors';
import { pictureType } from '../lot/lot-records';
import { wholePlate, type PlateProofs } from './proofs';
import type { Lane, LotImage, LotRecordsRepository, Stay } from '../lot/model';
import type { Order } from '../orders/model';
import { parkServiceInfo, type Park, type ParkDirectory } from '../parks';
import { formatChinaTime, parseChinaTime } from '../../../../shared/time';
import { lotAppError } from '../lot/lot-errors';

/** An unlicensed entry a driver made (4.29), so "my parking" can show the temporary plate. */
export interface UnlicensedVisit {
  driverId: string;
  parkNumber: string;
  plate: string;
  plateKey: string;
  inTime: string;
  inImage: string;
  createdAt: Date;
}

export interface VisitRepository {
  add(v: UnlicensedVisit): Promise<void>;
  recent(driverId: string, since: Date): Promise<UnlicensedVisit[]>;
}

export interface ParkingDeps {
  parks: ParkDirectory & {
    /** Parks whose name, address or number holds `q` (all when empty), by name. */
    search(q: string | undefined, limit: number): Promise<Park[]>;
  };
  records: Pick<LotRecordsRepository, 'latestHeartbeat' | 'lanes' | 'staysInPark' | 'findImage'> & {
    staysByPlateKeys(plateKeys: string[]): Promise<Stay[]>;
    /** Which of these pictures the lot has sent (names only). */
    storedImages(parkNumber: string, imageNames: string[]): Promise<Set<string>>;
  };
  visits: VisitRepository;
  /** The driver's delivered orders (for "leave by"). */
  orders: { listForDriver(driverId: string, limit: number): Promise<Order[]> };
  /** 4.34 */
  findCar(park: Park, plate: string): Promise<{ layerName: string; spaceId: string; plate: string; x: number | null; y: number | null; imageUrl: string | null }[]>;
  clock: Clock;
  /** Key of the picture links (the same in every process of one deployment). */
  urlSigningKey: string;
  /** How long a picture link works. */
  imageLinkTtlMs?: number;
  /** Which plates the driver has proved where (proofs.ts). */
  proofs: PlateProofs;
  /** Operators' labels of lanes (core/operators/parks.ts): their name and direction win over the lot's. */
  laneLabels?: { list(parkNumber: string): Promise<{ passagewayId: string; name?: string; direction?: 'in' | 'out' }[]> };
}

/** How many recent parks a driver sees, and how many of them a car is looked for in. */
const RECENT_PARKS = 10;
const FIND_CAR_PARKS = 6;

type ParkSummary = { parkNumber: string; name: string; address: string | null; spaces: { total: number | null; free: number | null } | null };

export function laneDirection(l: Pick<Lane, 'sourceAreaId' | 'targetAreaId'>): 'in' | 'out' | null {
  if (l.sourceAreaId === '0' && l.targetAreaId !== '0') return 'in';
  if (l.targetAreaId === '0' && l.sourceAreaId !== '0') return 'out';
  return null;
}

/** A lot time as an ISO instant, when it reads as one. */
function inAtOf(lotTime: string): string | null {
  try {
    return parseChinaTime(lotTime).toISOString();
  } catch {
    return null;
  }
}

export class ParkingService {
  constructor(private readonly deps: ParkingDeps) {}

  private async park(parkNumber: string): Promise<Park> {
    const park = await this.deps.parks.get(parkNumber);
    if (!park) throw new ParkingError('park_unknown', `park ${parkNumber} is not served by ParkPay`);
    return park;
  }

  async view(parkNumber: string) {
    const park = await this.park(parkNumber);
    const [hb, lanes, labels] = await Promise.all([
      this.deps.records.latestHeartbeat(parkNumber),
      this.deps.records.lanes(parkNumber),
      this.deps.laneLabels ? this.deps.laneLabels.list(parkNumber) : Promise.resolve([]),
    ]);
    const label = new Map(labels.map((l) => [l.passagewayId, l]));
    return {
      parkNumber,
      name: park.name ?? hb?.parkName ?? parkNumber,
      service: parkServiceInfo(park),
      spaces: hb ? { total: hb.spaceCount ?? null, free: hb.freeSpaceCount ?? null, updatedAt: hb.receivedAt.toISOString() } : null,
      areas: (hb?.areas ?? []).map((a) => ({ name: a.areaName, total: a.spaceCount ?? null, free: a.freeSpaceCount ?? null })),
      lanes: lanes.map((l) => ({
        passagewayId: l.passagewayId,
        name: label.get(l.passagewayId)?.name || l.name,
        direction: label.get(l.passagewayId)?.direction ?? laneDirection(l),
      })),
    };
  }

  private async summary(park: Park): Promise<ParkSummary> {
    const hb = await this.deps.records.latestHeartbeat(park.parkNumber);
    return {
      parkNumber: park.parkNumber,
      name: park.name ?? hb?.parkName ?? park.parkNumber,
      address: parkServiceInfo(park).address,
      spaces: hb ? { total: hb.spaceCount ?? null, free: hb.freeSpaceCount ?? null } : null,
    };
  }

  /** Parks by a few characters of their name or address (all when `q` is empty), with their free spaces. */
  async list(q: string | undefined, limit = 20): Promise<ParkSummary[]> {
    const parks = await this.deps.parks.search(q, limit);
    return Promise.all(parks.map((p) => this.summary(p)));
  }

  /**
   * The driver's recent parks, newest first: where one of their plates is now (our 4.2 records), where
   * they paid (their history) or entered without a plate (the last 30 days).
   */
  async recent(driverId: string, plateKeys: string[]) {
    const now = this.deps.clock.now();
    const [plated, visits, orders] = await Promise.all([
      plateKeys.length ? this.deps.records.staysByPlateKeys(plateKeys) : Promise.resolve([]),
      this.deps.visits.recent(driverId, new Date(now - 30 * 86_400_000)),
      this.deps.orders.listForDriver(driverId, 50),
    ]);
    const seen = new Map<string, { lastAt: number; carInPark: boolean }>();
    const note = (parkNumber: string, at: number, carInPark = false) => {
      const was = seen.get(parkNumber);
      seen.set(parkNumber, { lastAt: Math.max(was?.lastAt ?? 0, at), carInPark: carInPark || (was?.carInPark ?? false) });
    };
    for (const s of plated) note(s.parkNumber, s.entry?.inTime?.getTime() ?? now, true);
    for (const v of visits) note(v.parkNumber, v.createdAt.getTime());
    for (const o of orders) note(o.parkNumber, (o.payment?.paidAt ?? o.createdAt).getTime());
    const newest = [...seen.entries()].sort((a, b) => Number(b[1].carInPark) - Number(a[1].carInPark) || b[1].lastAt - a[1].lastAt).slice(0, RECENT_PARKS);
    const parks = await Promise.all(newest.map(([parkNumber]) => this.deps.parks.get(parkNumber)));
    const out = [];
    for (let i = 0; i < newest.length; i++) {
      const park = parks[i];
      if (!park) continue; // no longer served
      const [, m] = newest[i]!;
      out.push({ ...(await this.summary(park)), lastAt: new Date(m.lastAt).toISOString(), carInPark: m.carInPark });
    }
    return out;
  }

  /**
   * Where a car is parked, without knowing the park: looked for in the driver's recent parks (those with a
   * car of their bound plates first), each as findCar does there — the car's place only where the driver has
   * proved the plate, elsewhere only whether it is here — with each park's answer or why its lot could not say.
   * Parks the driver has no tie to are never asked: a plate alone does not say where its car is.
   */
  async findMyCar(driverId: string, plate: string, plateKeys: string[]) {
    const plateKey = wholePlate(plate);
    const looked = (await this.recent(driverId, plateKeys)).slice(0, FIND_CAR_PARKS);
    return Promise.all(
      looked.map(async ({ parkNumber, name: parkName }) => {
        try {
          const found = await this.findCar(driverId, parkNumber, plateKey);
          const stay = found.proved && found.here ? (await this.deps.records.staysInPark(parkNumber, plateKey))[0] : undefined;
          return { parkNumber, parkName, inTime: stay?.entry?.inTime ? formatChinaTime(stay.entry.inTime) : null, ...found, error: null };
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          return { parkNumber, parkName, inTime: null, proved: false, here: false, spaces: [], error: { code: e.code, message: e.message } };
        }
      }),
    );
  }

  /** 4.34, its failures as the app hears them (lot_slow, lot_unreachable, lot_refused). */
  private async askLot(park: Park, plate: string) {
    try {
      return await this.deps.findCar(park, plate);
    } catch (e) {
      lotAppError(e);
    }
  }

  /** Record an unlicensed entry this driver made. */
  async rememberUnlicensed(driverId: string, parkNumber: string, entered: { plate: string; inTime: string; inImage: string }): Promise<void> {
    await this.deps.visits.add({ driverId, parkNumber, ...entered, plateKey: normalizePlate(entered.plate), createdAt: new Date(this.deps.clock.now()) });
  }

  /** The driver's cars in parks now: in full where the plate is proved there, else only that it is here. */
  async myStays(driverId: string, plateKeys: string[]) {
    const now = this.deps.clock.now();
    const [plated, visits, orders, proved] = await Promise.all([
      plateKeys.length ? this.deps.records.staysByPlateKeys(plateKeys) : Promise.resolve([]),
      this.deps.visits.recent(driverId, new Date(now - 86_400_000)),
      this.deps.orders.listForDriver(driverId, 100),
      this.deps.proofs.proved(driverId),
    ]);
    const names = new Map<string, string>();
    const nameOf = async (parkNumber: string) => {
      if (!names.has(parkNumber)) names.set(parkNumber, (await this.deps.parks.get(parkNumber))?.name ?? parkNumber);
      return names.get(parkNumber)!;
    };
    const leaveBy = (parkNumber: string, orderId: string | undefined, plateKey: string) => {
      const o = orders.find(
        (x) => x.status === 'delivered' && x.parkNumber === parkNumber && (orderId ? x.orderId === orderId : normalizePlate(x.plate) === plateKey),
      );
      return o?.payment ? new Date(new Date(o.payment.paidAt).getTime() + o.quote.paidFreeMinutes * 60_000).toISOString() : null;
    };
    // A picture is linked only once the lot has sent it (4.14): a link to nothing would show a broken image.
    const stored = async (parkNumber: string, imageName: string | undefined) =>
      imageName ? (await this.deps.records.storedImages(parkNumber, [imageName])).has(imageName) : false;
    const out = [];
    const seen = new Set<string>();
    for (const s of plated) {
      seen.add(`${s.parkNumber}|${s.plateKey}`);
      const mine = proved.has(`${s.parkNumber}|${s.plateKey}`);
      out.push({
        parkNumber: s.parkNumber,
        parkName: await nameOf(s.parkNumber),
        plate: s.plate,
        source: 'plate' as const,
        // Not proved: that a car with this plate is here, nothing of its stay.
        inTime: mine && s.entry?.inTime ? formatChinaTime(s.entry.inTime) : '',
        inAt: mine && s.entry?.inTime ? s.entry.inTime.toISOString() : null,
        inImageUrl: mine && s.entry?.inImage && (await stored(s.parkNumber, s.entry.inImage)) ? this.imageLink(s.parkNumber, s.entry.inImage) : null,
        leaveBy: mine ? leaveBy(s.parkNumber, s.orderId, s.plateKey) : null,
        proved: mine,
        at: s.entry?.inTime?.getTime() ?? 0,
      });
    }
    for (const v of visits) {
      const key = `${v.parkNumber}|${v.plateKey}`;
      if (seen.has(key)) continue;
      seen.add(key);
      // Still in the park? Its entry record (when it came) says; gone once the exit record closed it.
      const [stay] = await this.deps.records.staysInPark(v.parkNumber, v.plateKey);
      const left = !stay && orders.some((o) => o.parkNumber === v.parkNumber && normalizePlate(o.plate) === v.plateKey && o.status === 'delivered' && o.createdAt > v.createdAt);
      if (left) continue;
      out.push({
        parkNumber: v.parkNumber,
        parkName: await nameOf(v.parkNumber),
        plate: v.plate,
        source: 'unlicensed' as const,
        inTime: v.inTime,
        inAt: stay?.entry?.inTime ? stay.entry.inTime.toISOString() : inAtOf(v.inTime),
        inImageUrl: v.inImage && (await stored(v.parkNumber, v.inImage)) ? this.imageLink(v.parkNumber, v.inImage) : null,
        leaveBy: leaveBy(v.parkNumber, stay?.orderId, v.plateKey),
        // The driver's own unlicensed entry: theirs.
        proved: true,
        at: v.createdAt.getTime(),
      });
    }
    return out.sort((a, b) => b.at - a.at).map(({ at: _at, ...s }) => s);
  }

  /**
   * Where a car is (4.34): for a whole plate the driver has proved at this park, that car's spaces (the lot
   * matches plates loosely: only this plate's are kept); for any other, only whether it is here.
   */
  async findCar(driverId: string, parkNumber: string, plate: string) {
    const plateKey = wholePlate(plate);
    const park = await this.park(parkNumber);
    if (!(await this.deps.proofs.isProved(driverId, parkNumber, plateKey))) {
      const here = (await this.deps.records.staysInPark(parkNumber, plateKey)).length > 0;
      return { proved: false, here, spaces: [] };
    }
    const spaces = (await this.askLot(park, plateKey)).filter((s) => normalizePlate(s.plate) === plateKey);
    const here = spaces.length > 0 || (await this.deps.records.staysInPark(parkNumber, plateKey)).length > 0;
    return { proved: true, here, spaces };
  }

  /** The driver confirms a plate at this park with its stay's entry lane and time (proofs.ts). */
  async confirmPlate(driverId: string, parkNumber: string, stated: { plate: string; enteredAt: string; passagewayId: string }) {
    await this.park(parkNumber);
    return this.deps.proofs.confirm(driverId, parkNumber, stated);
  }

  // ── picture links ────────────────────────────────────────────────────────────────────────────

  private sign(payload: string): string {
    return createHmac('sha256', this.deps.urlSigningKey).update(payload).digest('base64url').slice(0, 32);
  }

  /** /api/images/<token>: base64url(parkNumber \n imageName \n expiry) . signature */
  imageLink(parkNumber: string, imageName: string): string {
    const exp = this.deps.clock.now() + (this.deps.imageLinkTtlMs ?? 15 * 60_000);
    const payload = Buffer.from(`${parkNumber}\n${imageName}\n${exp}`).toString('base64url');
    return `/api/images/${payload}.${this.sign(payload)}`;
  }

  /** The picture a link names, if the link is genuine and current. */
  async image(token: string): Promise<LotImage> {
    const [payload, sig] = token.split('.');
    const expected = payload ? this.sign(payload) : '';
    if (!payload || !sig || sig.length !== expected.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(expected))) {
      throw new ParkingError('not_found', 'no such picture');
    }
    const [parkNumber, imageName, exp] = Buffer.from(payload, 'base64url').toString('utf8').split('\n');
    if (!parkNumber || !imageName || !(Number(exp) > this.deps.clock.now())) throw new ParkingError('link_expired', 'the picture link has expired');
    const img = await this.deps.records.findImage(parkNumber, imageName);
    if (!img) throw new ParkingError('not_found', 'the lot has not sent this picture');
    // Served as what its bytes are, whatever was recorded (older versions kept other kinds): JPEG or PNG only.
    const mime = pictureType(img.data);
    if (!mime) throw new ParkingError('not_found', 'no such picture');
    return { ...img, mime };
  }
}

/**
 * Monthly passes (月卡) sold online: an operator's offer per park, and the purchases drivers make of it. A
 * purchase is paid as an order of kind 'pass' (core/orders) and delivered by extending the plate's
 * whitelist entry at the lot (4.6 synWhite) from the validity the lot has then (4.8 queryWhite), so a
 * renewal at the booth (4.31) and one online never overwrite each other. Money is integer fen; validity
 * is in China days (yyyy-MM-dd, both ends included), as the lot keeps it.
 *
 * A purchase's states and moves are PURCHASE_MOVES below; core/passes/changes.ts builds its changes. Its
 * state follows its order's: the order says paid, delivered, refunded or closed.
 */

import type { Park } from '../parks';
import type { Patch } from '../patch';
import type { Change, Moves } from '../state';

/** Durations a pass is sold for, in months. */
export const PASS_MONTHS = [1, 3, 6, 12] as const;
export type PassMonths = (typeof PASS_MONTHS)[number];

export interface PassPrice {
  months: PassMonths;
  priceFen: number;
}

export interface PassOffer {
  parkNumber: string;
  /** The lot's areas (its heartbeat's areaId) the pass covers. */
  areaIds: number[];
  /** One price per duration offered; one month always. */
  prices: PassPrice[];
  /** true: any plate may buy; false: only plates already on the lot's whitelist may renew. */
  newPlates: boolean;
  /** How many plates may hold a pass of ours at once (valid today or being bought). */
  maxPasses: number;
  /** Shown to drivers (rules, what is covered). */
  text: string;
  status: 'on_sale' | 'withdrawn';
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export const PURCHASE_STATES = ['awaiting_payment', 'extending', 'active', 'refunded', 'closed'] as const;
export type PurchaseState = (typeof PURCHASE_STATES)[number];

/**
 * A purchase's way: awaiting_payment → extending once paid (its 4.6 being written) → active when the lot
 * accepted. Unpaid, it closes with its order (or at once when the park has no place left); money that came
 * for a closed order all the same buys the pass (closed → extending). A refund before the lot accepted ends
 * it refunded. An active purchase stays so (booth renewals put back on top of it).
 */
export const PURCHASE_MOVES: Moves<PurchaseState> = {
  awaiting_payment: ['extending', 'closed', 'refunded'],
  closed: ['extending'],
  extending: ['active', 'refunded'],
  active: [],
  refunded: [],
};

/** What the lot had for the plate when the extension was planned, and what we asked for. */
export interface Extension {
  /** The lot's last valid day per covered area before (null: none). */
  before: { areaId: number; end: string | null }[];
  /** The new validity per covered area. */
  areas: { areaId: number; start: string; end: string }[];
  /** The entry's whole validity sent (covers the areas and whatever else the entry had). */
  start: string;
  end: string;
  /**
   * The lot's entry was valid in every area (no rows per area) and still is: it is extended as it is, with
   * no rows (the areas above say the new end in each covered area) — a pass the lot gave for the whole lot
   * is not narrowed to the offer's areas by a renewal.
   */
  wholeLot?: boolean;
  plannedAt: Date;
  /** When the lot accepted 4.6 with these dates. */
  acceptedAt?: Date;
}

export interface PassPurchase {
  /** Also the order's number (orderNo) and its orderId. */
  purchaseNo: string;
  driverId: string;
  parkNumber: string;
  /** As the driver typed it, normalized. */
  plate: string;
  months: PassMonths;
  priceFen: number;
  areaIds: number[];
  state: PurchaseState;
  extension?: Extension;
  /** The new last valid day once the lot accepted (the latest of the areas). */
  validTo?: string;
  /** Why the money went back (the order's refund reason). */
  refundReason?: string;
  /** Booth renewals (4.31, by their key) our 4.6 had overwritten and that were put back on top of ours. */
  restored?: string[];
  /** Failed tries of putting booth renewals back, counted for the timed retry's backoff. */
  restoreTries?: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A plate's validity per area at the lot, as the driver sees it. */
export interface PlateValidity {
  /**
   * Where the dates were read: the lot now (4.8), the lot's last push (4.32), or our purchases; 'hidden': not
   * shown to this driver (a plate they have neither bound nor bought a pass for: whether a car is a monthly
   * car of a park says where its driver goes every day).
   */
  source: 'lot' | 'lot_list' | 'ours' | 'none' | 'hidden';
  start: string | null;
  end: string | null;
  areas: { areaId: number; start: string | null; end: string | null }[];
  /** The entry's other fields, kept when we extend it (4.6 replaces the entry whole). */
  entry?: LotWhiteEntry;
}

/** The lot's whitelist entry of a plate (4.8 / 4.32 fields). */
export interface LotWhiteEntry {
  plate: string;
  start: string;
  end: string;
  chargeType: string;
  name: string;
  certificate: string;
  address: string;
  phone: string;
  plateColor: string;
  dept: string;
  carType: string;
  memo: string;
  areas: { areaId: number; start: string; end: string }[];
}

/** The lot, as passes need it (adapter/bluecard/pass-lot.ts). Failures are LotCallError (core/orders/gateways). */
export interface PassLot {
  /** 4.8: the plate's online whitelist entry; undefined when the lot has none. `driverWaits`: within the driver's wait. */
  entry(park: Park, plate: string, o?: { driverWaits?: boolean }): Promise<LotWhiteEntry | undefined>;
  /** 4.6: upsert the entry (the client paces the calls of a park). */
  write(park: Park, entry: LotWhiteEntry): Promise<void>;
}

/** A renewal made at the lot's booth, as the lot reported it (4.31). */
export interface BoothRenewal {
  key: string;
  /** The new last valid day (yyyy-MM-dd) the lot reported. */
  end: string;
  months: number;
  receivedAt: Date;
}

export interface BoothRenewalReader {
  /** The 4.31 renewals of a plate received at or after `since`. */
  ofPlate(parkNumber: string, plateKey: string, since: Date): Promise<BoothRenewal[]>;
}

/**
 * The park's places: the plates holding a pass at once, at most the offer's maxPasses. One document per
 * park; a plate takes a place in one conditional write (count below the limit, plate not in it), so buyers
 * racing for the last place never both get it.
 */
export interface PassPlaces {
  /**
   * The plate's place: 'held' when it has one already, 'taken' when it got one now, 'full' when none is
   * free. `seed` gives the plates holding one when the park has no places document yet.
   */
  take(parkNumber: string, plate: string, max: number, seed: () => Promise<string[]>): Promise<'held' | 'taken' | 'full'>;
  /** The plates holding a place. */
  plates(parkNumber: string): Promise<string[]>;
  /** Give the plate's place back (no-op when it has none). */
  free(parkNumber: string, plate: string): Promise<void>;
}

export interface PassOfferRepository {
  get(parkNumber: string): Promise<PassOffer | undefined>;
  put(offer: PassOffer): Promise<void>;
}

/** The fields a change of a purchase sets (the extension whole). */
export type PurchasePatch = Patch<Pick<PassPurchase, 'extension' | 'validTo' | 'refundReason' | 'restoreTries' | 'updatedAt'>>;

export type PurchaseChange = Change<PurchaseState, PurchasePatch>;

export interface PassPurchaseRepository {
  insert(p: PassPurchase): Promise<void>;
  get(purchaseNo: string): Promise<PassPurchase | undefined>;
  /** Apply the change when the purchase is in one of its `from` states; the updated purchase or undefined. */
  apply(purchaseNo: string, change: PurchaseChange): Promise<PassPurchase | undefined>;
  /** The plate's purchases in the park, newest first. */
  ofPlate(parkNumber: string, plate: string, limit: number): Promise<PassPurchase[]>;
  listForDriver(driverId: string, limit: number): Promise<PassPurchase[]>;
  listForPark(parkNumber: string, limit: number): Promise<PassPurchase[]>;
  /** Record that booth renewal `key` is being put back on this purchase; false when it already was. */
  claimRestore(purchaseNo: string, key: string): Promise<boolean>;
  /** Give the claim back (the lot could not be written): the next look tries again. */
  unclaimRestore(purchaseNo: string, key: string): Promise<void>;
  /** The park's purchases being paid or extended, or valid on `today` or later. */
  holding(parkNumber: string, today: string): Promise<PassPurchase[]>;
}

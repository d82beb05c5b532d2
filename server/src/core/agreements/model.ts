/**
 * Withholding agreements as ParkPay keeps them: one record per driver + plate + provider.
 *
 * Its states and moves are AGREEMENT_MOVES below; core/agreements/changes.ts builds its changes.
 * `signNo` is ours and new for every sign-up round after an agreement ended, so a late notification about
 * an old agreement never touches the new one. The provider is the truth: states are refreshed from it
 * (check) when a driver looks and the record is stale, after the app returns from signing, and on every
 * verified notification. Every change is one conditional single-document update (no transactions).
 */
import type { Payer } from '../orders/gateways';
import type { Provider } from '../orders/model';
import type { Patch } from '../patch';
import type { Change, Moves } from '../state';
import type { AgreementRef, AgreementState } from './gateways';

export const AGREEMENT_STATES = ['signing', 'active', 'paused', 'ended'] as const satisfies readonly AgreementState[];

/**
 * An agreement's way: a sign-up round starts signing; the provider says active (signed), paused or ended; the
 * driver ends it (Alipay unsign) or the provider does; an ended record starts a new round (signing again,
 * under a new signNo). The provider is the truth: what it says is kept whatever the record said, so every
 * state may enter every state the provider may report — an ended record only after the provider was asked.
 * No state is final: a plate may be signed up again.
 */
export const AGREEMENT_MOVES: Moves<AgreementState> = {
  signing: ['active', 'paused', 'ended'],
  active: ['paused', 'ended', 'signing'],
  paused: ['active', 'ended', 'signing'],
  ended: ['signing', 'active', 'paused'],
};

/**
 * Which parks lanes may take this agreement's money at: the park where the driver signed it up, or every park
 * this ParkPay serves ("all parks of this operator") — the driver chooses, the sign-up says which.
 */
export type AgreementScope = { kind: 'park'; parkNumber: string } | { kind: 'all' };

/** Does the agreement cover this park? (A record from before scopes were kept covers all: that is what its sign-up said.) */
export function covers(r: Pick<AgreementRecord, 'scope'>, parkNumber: string): boolean {
  return !r.scope || r.scope.kind === 'all' || r.scope.parkNumber === parkNumber;
}

export interface AgreementRecord {
  /** Ours ("agr_…"). */
  id: string;
  driverId: string;
  /** As the driver bound it ("京A12345"). */
  plate: string;
  /** normalizePlate(plate): what lanes look agreements up by. */
  plateKey: string;
  provider: Provider;
  state: AgreementState;
  /** The parks it covers (absent: all, as signed up before scopes were kept). */
  scope?: AgreementScope;
  /** Our sign-up number of the current round (Alipay external_agreement_no). */
  signNo: string;
  /** The provider's agreement number (Alipay agreement_no), once signed. */
  agreementNo?: string;
  /** Who pays: WeChat openid (required for the parking service); Alipay ids once the provider tells them. */
  payer: Payer;
  signedAt?: Date;
  endedAt?: Date;
  /** Why it is paused or ended, when known. */
  reason?: string;
  /** When the provider last told us how it stands (a check or a verified notification). */
  checkedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** What a gateway call needs of a record. */
export function agreementRef(r: AgreementRecord): AgreementRef {
  return { signNo: r.signNo, plate: r.plate, payer: r.payer, ...(r.agreementNo ? { agreementNo: r.agreementNo } : {}) };
}

/** The fields a change of an agreement sets. */
export type AgreementPatch = Patch<Omit<AgreementRecord, 'id' | 'driverId' | 'plateKey' | 'provider' | 'state' | 'createdAt'>>;

/** A further condition: the record is still in this sign-up round (a late word about an old round changes nothing). */
export interface AgreementWhen {
  signNo?: string;
}

export type AgreementChange = Change<AgreementState, AgreementPatch, AgreementWhen>;

/** Persistence (repository/agreements.ts). Every method is one atomic operation. */
export interface AgreementRepository {
  /** Insert; false when the driver has a record for this plate and provider already. */
  insert(r: AgreementRecord): Promise<boolean>;
  get(id: string): Promise<AgreementRecord | undefined>;
  find(driverId: string, plateKey: string, provider: Provider): Promise<AgreementRecord | undefined>;
  bySignNo(provider: Provider, signNo: string): Promise<AgreementRecord | undefined>;
  /** Every record of a plate (any driver, any provider). */
  byPlate(plateKey: string): Promise<AgreementRecord[]>;
  listForDriver(driverId: string): Promise<AgreementRecord[]>;
  /** Apply the change when the record is in one of its `from` states and its condition holds; the updated record, or undefined. */
  apply(id: string, change: AgreementChange): Promise<AgreementRecord | undefined>;
}

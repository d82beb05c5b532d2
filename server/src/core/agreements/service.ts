/**
 * Withholding agreements (无感支付): a driver signs up one of their bound plates with WeChat Pay's
 * vehicle parking service or an Alipay agreement; lanes then take the parking fee from it (4.16, 4.27:
 * core/lanepay). This service keeps one record per driver + plate + provider (model.ts) and asks the
 * provider (WithholdingGateway) whenever it matters:
 *  - sign-up starts for a plate the driver has bound (core/identity plates), and answers what the app
 *    opens (WeChat's parking-service mini-program, Alipay's sign page);
 *  - confirm: the app came back from signing; the provider says how it stands;
 *  - list: the driver's plates with their agreements, stale records refreshed from the provider first;
 *  - end: Alipay unsigns; WeChat does not let a merchant end a user's service, so the driver is told where
 *    to end it in WeChat (`end_with_provider`);
 *  - verified notifications (port/notify/withholding.ts) update the record; a repeat changes nothing, and
 *    one that would revive an ended agreement is checked with the provider first (providers resend old
 *    notifications).
 */
import { randomChars, timedNo } from '../ids';
import { normalizePlate } from '../../../../shared/plate';
import { dateNow, type Clock } from '../clock';
import { AppError } from '../errors';
import { GatewayFailure } from '../gateway-failure';
import { AgreementError, type AgreementErrorCode } from './errors';
import type { Driver, DriverRepository } from '../identity/model';
import type { Payer } from '../orders/gateways';
import type { Provider } from '../orders/model';
import type { AgreementState, ProviderAgreement, SignupStart, WithholdingEvent, WithholdingGateway } from './gateways';
import type { ParkDirectory } from '../parks';
import * as changes from './changes';
import { agreementRef, covers, type AgreementRecord, type AgreementRepository, type AgreementScope } from './model';
import type { Log } from '../log';

export interface AgreementServiceDeps {
  agreements: AgreementRepository;
  drivers: Pick<DriverRepository, 'findById'>;
  gateways: Partial<Record<Provider, WithholdingGateway>>;
  /** Parks a sign-up may be limited to must be known here. */
  parks?: ParkDirectory;
  clock: Clock;
  /** A record older than this is refreshed from the provider when the driver looks (default 10 minutes). */
  staleMs?: number;
  log?: Log;
}

/** One plate of the driver with its agreements (a plate unbound since still shows its live agreements). */
export interface PlateAgreements {
  plate: string;
  plateKey: string;
  bound: boolean;
  agreements: AgreementRecord[];
}

/** Ours, e.g. "agr_7K2M…". */
export function newAgreementId(): string {
  return `agr_${randomChars(16)}`;
}

/** "PPA" + China time yyMMddHHmmss + 8 random: 23 of [0-9A-Z] (Alipay external_agreement_no ≤ 32). */
export function newSignNo(now: number): string {
  return timedNo('PPA', now, 8);
}

const LIVE: AgreementState[] = ['signing', 'active', 'paused'];
const PROVIDER_NAME: Record<Provider, string> = { wechat: 'WeChat Pay', alipay: 'Alipay' };

/** The refusals a withholding gateway makes with a code of ours, which the app is told as they are. */
const PASSED_ON = new Set<string>(['invalid_plate', 'invalid_plate_color', 'payer_required', 'invalid_amount', 'invalid_stay', 'deduction_conflict', 'refund_conflict'] satisfies AgreementErrorCode[]);
const isPassedOn = (reason: string | undefined): reason is AgreementErrorCode => reason !== undefined && PASSED_ON.has(reason);

/** Where a WeChat user ends the parking service themselves (a merchant cannot). */
export const WECHAT_END_HINT = '请在微信中解约：我 → 服务 → 钱包 → 支付设置 → 免密支付/自动续费 → 微信车主服务 → 关闭服务';

export class AgreementService {
  private readonly staleMs: number;

  constructor(private readonly deps: AgreementServiceDeps) {
    this.staleMs = deps.staleMs ?? 10 * 60_000;
  }

  /** Providers drivers can sign up with here. */
  offered(): Provider[] {
    return (['wechat', 'alipay'] as const).filter((p) => this.deps.gateways[p] !== undefined);
  }

  private gateway(provider: Provider): WithholdingGateway {
    const g = this.deps.gateways[provider];
    if (!g) throw new AgreementError('provider_unavailable', `${PROVIDER_NAME[provider]} agreements are not offered here`);
    return g;
  }

  /** A gateway failure as the app sees it (AppErrors pass through). */
  private providerError(provider: Provider, e: unknown): never {
    if (e instanceof AppError) throw e;
    // What the gateway refused with a code of ours (a plate or payer the provider cannot take): said as it is.
    if (e instanceof GatewayFailure && isPassedOn(e.reason)) throw new AgreementError(e.reason, e.message);
    // A failure that is not the provider's (no answer to classify) is taken as transient.
    const retryable = !(e instanceof GatewayFailure) || e.retryable;
    throw new AgreementError(
      retryable ? 'provider_unreachable' : 'provider_refused',
      `${PROVIDER_NAME[provider]} ${retryable ? 'cannot be reached right now; try again' : `refused: ${(e as Error).message}`}`,
    );
  }

  private async driver(driverId: string): Promise<Driver> {
    const d = await this.deps.drivers.findById(driverId);
    if (!d) throw new AgreementError('unauthenticated', 'log in again');
    return d;
  }

  /** The driver's own record (anyone else's reads as not found). */
  async own(driverId: string, id: string): Promise<AgreementRecord> {
    const r = await this.deps.agreements.get(id);
    if (!r || r.driverId !== driverId) throw new AgreementError('not_found', 'agreement not found');
    return r;
  }

  /** Who pays in this provider's agreement. WeChat's parking service is per openid: the driver must be a WeChat user. */
  private payerOf(driver: Driver, provider: Provider): Payer {
    if (provider === 'wechat') {
      if (!driver.wechatOpenId) throw new AgreementError('wallet_not_linked', 'log in with WeChat to sign up for WeChat Pay');
      return { openId: driver.wechatOpenId };
    }
    // Alipay: whoever signs on Alipay's page is the payer; Alipay tells us who afterwards.
    return { ...(driver.alipayOpenId ? { openId: driver.alipayOpenId } : {}), ...(driver.alipayUserId ? { userId: driver.alipayUserId } : {}) };
  }

  // ── the driver ─────────────────────────────────────────────────────────────────────────────

  /** The driver's plates with their agreements; stale live records are refreshed from the provider first. */
  async list(driverId: string): Promise<PlateAgreements[]> {
    const driver = await this.driver(driverId);
    let records = await this.deps.agreements.listForDriver(driverId);
    const now = this.deps.clock.now();
    const stale = records.filter((r) => LIVE.includes(r.state) && (!r.checkedAt || now - r.checkedAt.getTime() >= this.staleMs));
    if (stale.length) {
      const fresh = await Promise.all(stale.map((r) => this.refresh(r).catch(() => r)));
      const byId = new Map(fresh.map((r) => [r.id, r]));
      records = records.map((r) => byId.get(r.id) ?? r);
    }
    const plates: PlateAgreements[] = driver.plates.map((p) => ({
      plate: p.plate,
      plateKey: p.plateKey,
      bound: true,
      agreements: records.filter((r) => r.plateKey === p.plateKey),
    }));
    // A plate unbound while its agreement lives on: still shown, so the driver can end it.
    for (const r of records) {
      if (plates.some((p) => p.plateKey === r.plateKey) || r.state === 'ended') continue;
      const p = plates.find((x) => x.plateKey === r.plateKey && !x.bound);
      if (p) p.agreements.push(r);
      else plates.push({ plate: r.plate, plateKey: r.plateKey, bound: false, agreements: [r] });
    }
    return plates;
  }

  /**
   * Start signing up a bound plate, for the parks the driver chose (`scope`: the park they sign up at, or all
   * parks; default all). A record in `ended` starts a new round (a new signNo); one in `signing` or `paused`
   * is continued (the provider's page resumes it) with the scope chosen now; one `active` is refused.
   */
  async startSignup(
    driverId: string,
    plate: string,
    provider: Provider,
    opts: { returnUrl?: string; scope?: AgreementScope } = {},
  ): Promise<{ agreement: AgreementRecord; signup: SignupStart }> {
    const scope: AgreementScope = opts.scope ?? { kind: 'all' };
    if (scope.kind === 'park' && this.deps.parks && !(await this.deps.parks.get(scope.parkNumber))) {
      throw new AgreementError('park_unknown', `park ${scope.parkNumber} is not served by ParkPay`);
    }
    const driver = await this.driver(driverId);
    const plateKey = normalizePlate(plate);
    const bound = driver.plates.find((p) => p.plateKey === plateKey);
    if (!bound) throw new AgreementError('plate_not_bound', 'bind the plate first (my plates), then sign it up');
    const gateway = this.gateway(provider);
    const payer = this.payerOf(driver, provider);
    const repo = this.deps.agreements;

    let r = await repo.find(driverId, plateKey, provider);
    if (!r) {
      const now = dateNow(this.deps.clock);
      const fresh: AgreementRecord = {
        id: newAgreementId(),
        driverId,
        plate: bound.plate,
        plateKey,
        provider,
        state: 'signing',
        scope,
        signNo: newSignNo(now.getTime()),
        payer,
        createdAt: now,
        updatedAt: now,
      };
      // Two taps at once: one record; the second continues the first's round.
      r = (await repo.insert(fresh)) ? fresh : await repo.find(driverId, plateKey, provider);
      if (!r) throw new Error('agreement record vanished');
    }
    if (r.state === 'active') throw new AgreementError('agreement_active', `${bound.plate} is signed up with ${PROVIDER_NAME[provider]} already`);
    if (r.state === 'ended') {
      const now = dateNow(this.deps.clock);
      const next = await repo.apply(r.id, changes.newRound(r, { signNo: newSignNo(now.getTime()), payer, plate: bound.plate, scope }, now));
      r = next ?? (await repo.get(r.id));
      if (!r) throw new Error('agreement record vanished');
      if (r.state === 'active') throw new AgreementError('agreement_active', `${bound.plate} is signed up with ${PROVIDER_NAME[provider]} already`);
    }
    if ((r.state === 'signing' || r.state === 'paused') && JSON.stringify(r.scope ?? null) !== JSON.stringify(scope)) {
      // Continued with the parks chosen now (what the driver last saw and agreed to).
      r = (await repo.apply(r.id, changes.scopeChosen(r, scope, dateNow(this.deps.clock)))) ?? r;
    }
    let signup: SignupStart;
    try {
      signup = await gateway.startSignup({ ...agreementRef(r), payer, ...(opts.returnUrl ? { returnUrl: opts.returnUrl } : {}) });
    } catch (e) {
      this.providerError(provider, e);
    }
    return { agreement: r, signup };
  }

  /** The app came back from signing (or the driver taps "refresh"): ask the provider now. */
  async confirm(driverId: string, id: string): Promise<AgreementRecord> {
    const r = await this.own(driverId, id);
    try {
      return await this.refresh(r);
    } catch (e) {
      this.providerError(r.provider, e);
    }
  }

  /** End it: Alipay unsigns; WeChat answers `end_with_provider` with where to end it in WeChat. */
  async end(driverId: string, id: string): Promise<AgreementRecord> {
    let r = await this.own(driverId, id);
    if (r.state === 'ended') return r;
    const gateway = this.gateway(r.provider);
    if (r.state === 'signing') {
      // Signed on the provider's page but not confirmed yet? Then it has to be ended there too.
      r = await this.refresh(r).catch((e: unknown) => this.providerError(r.provider, e));
      if (r.state === 'ended') return r;
    }
    if (r.state !== 'signing') {
      try {
        await gateway.end(agreementRef(r));
      } catch (e) {
        if (e instanceof GatewayFailure && e.failure === 'unsupported') {
          throw new AgreementError('end_with_provider', `${PROVIDER_NAME[r.provider]} lets only you end this service. ${WECHAT_END_HINT}`);
        }
        this.providerError(r.provider, e);
      }
    }
    // A sign-up never finished has nothing to end at the provider: it just stops here.
    const now = dateNow(this.deps.clock);
    const ended = await this.deps.agreements.apply(r.id, changes.endedByDriver(r, now));
    return ended ?? (await this.own(driverId, id));
  }

  // ── the provider's view ────────────────────────────────────────────────────────────────────

  /** Ask the provider how the record's agreement stands and keep that (only while the round is the same). */
  async refresh(r: AgreementRecord): Promise<AgreementRecord> {
    const gateway = this.deps.gateways[r.provider];
    if (!gateway) return r;
    const view = await gateway.check(agreementRef(r));
    return this.apply(r, view);
  }

  private async apply(r: AgreementRecord, v: ProviderAgreement, payer?: Payer): Promise<AgreementRecord> {
    const updated = await this.deps.agreements.apply(r.id, changes.providerSaid(r, v, payer, dateNow(this.deps.clock)));
    if (updated && updated.state !== r.state) {
      this.deps.log?.info({ agreement: r.id, provider: r.provider, from: r.state, to: updated.state }, 'agreement state changed');
    }
    return updated ?? (await this.deps.agreements.get(r.id)) ?? r;
  }

  /**
   * A verified notification about an agreement. Found by our signNo, else by plate + payer. A repeat
   * changes nothing; one that would revive an ended record is checked with the provider first.
   */
  async onEvent(e: Extract<WithholdingEvent, { kind: 'agreement' }>): Promise<'applied' | 'checked' | 'unknown'> {
    const repo = this.deps.agreements;
    let r = e.signNo ? await repo.bySignNo(e.provider, e.signNo) : undefined;
    if (!r && e.plate && !e.payer) {
      // Only the plate (WeChat's entry-state notice): whose service it is, the provider says — ask it for each.
      const mine = (await repo.byPlate(normalizePlate(e.plate))).filter((x) => x.provider === e.provider && x.state !== 'ended');
      if (!mine.length) return 'unknown';
      await Promise.all(mine.map((x) => this.refresh(x).catch((err: unknown) => this.deps.log?.warn({ agreement: x.id, err: (err as Error).message }, 'agreement refresh failed'))));
      return 'checked';
    }
    if (!r && e.plate) {
      const samePayer = (x: AgreementRecord) =>
        !e.payer || (e.payer.openId !== undefined && x.payer.openId === e.payer.openId) || (e.payer.userId !== undefined && x.payer.userId === e.payer.userId);
      const candidates = (await repo.byPlate(normalizePlate(e.plate))).filter((x) => x.provider === e.provider && samePayer(x));
      r = candidates.sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())[0];
    }
    if (!r) {
      this.deps.log?.warn({ provider: e.provider, state: e.state }, 'agreement notification for no record of ours');
      return 'unknown';
    }
    if (r.state === 'ended' && e.state !== 'ended') {
      await this.refresh(r);
      return 'checked';
    }
    await this.apply(r, { state: e.state, ...(e.agreementNo ? { agreementNo: e.agreementNo } : {}) }, e.payer);
    return 'applied';
  }

  // ── lanes ──────────────────────────────────────────────────────────────────────────────────

  /**
   * The live agreements a lane may take a plate's fee from, best first: active, with a provider set up,
   * the most recently signed first. (Several drivers may bind one plate; whoever signed it up pays.)
   */
  async liveForPlate(plateKey: string, parkNumber: string): Promise<AgreementRecord[]> {
    const all = await this.deps.agreements.byPlate(plateKey);
    return all
      .filter((r) => r.state === 'active' && this.deps.gateways[r.provider] !== undefined && covers(r, parkNumber))
      .sort((a, b) => (b.signedAt ?? b.updatedAt).getTime() - (a.signedAt ?? a.updatedAt).getTime());
  }

  /** A deduction said there is no agreement: refresh the record in the background (the lane does not wait). */
  noticeNoAgreement(r: AgreementRecord): void {
    void this.refresh(r).catch((e: unknown) => this.deps.log?.warn({ agreement: r.id, err: (e as Error).message }, 'agreement refresh failed'));
  }

  /** A record by id (lanes recovering a deduction a crashed process left). */
  record(id: string): Promise<AgreementRecord | undefined> {
    return this.deps.agreements.get(id);
  }

  gatewayFor(provider: Provider): WithholdingGateway | undefined {
    return this.deps.gateways[provider];
  }
}

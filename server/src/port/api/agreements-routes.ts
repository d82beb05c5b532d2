/**
 * The driver's withholding agreements (contracts: shared/api/agreements.ts). Every route acts for the
 * session's driver only: another driver's agreement id reads as not found.
 */
import type Router from '@koa/router';
import { agreementEndpoints, type AgreementView, type SignupView } from '../../../../shared/api/agreements';
import type { SignupStart } from '../../core/agreements/gateways';
import type { AgreementRecord } from '../../core/agreements/model';
import type { AgreementService } from '../../core/agreements/service';
import type { ParkDirectory } from '../../core/parks';
import { mount } from './mount';

const iso = (d: Date | undefined | null) => (d ? new Date(d).toISOString() : null);

export function agreementView(r: AgreementRecord, parkName: (parkNumber: string) => string = (p) => p): AgreementView {
  return {
    id: r.id,
    plate: r.plate,
    plateKey: r.plateKey,
    provider: r.provider,
    state: r.state,
    scope: r.scope?.kind === 'park' ? { kind: 'park', parkNumber: r.scope.parkNumber, parkName: parkName(r.scope.parkNumber) } : { kind: 'all' },
    signedAt: iso(r.signedAt),
    endedAt: iso(r.endedAt),
    checkedAt: iso(r.checkedAt),
    reason: r.reason ?? null,
  };
}

function signupView(s: SignupStart): SignupView {
  return s.provider === 'wechat' ? { provider: 'wechat', navigate: s.navigate, h5Url: s.h5Url ?? null } : { provider: 'alipay', signUrl: s.signUrl };
}

/** The names of the parks these agreements are limited to. */
async function parkNames(parks: ParkDirectory | undefined, records: AgreementRecord[]): Promise<(parkNumber: string) => string> {
  const numbers = [...new Set(records.flatMap((r) => (r.scope?.kind === 'park' ? [r.scope.parkNumber] : [])))];
  const names = new Map(await Promise.all(numbers.map(async (n) => [n, (await parks?.get(n))?.name ?? n] as const)));
  return (n) => names.get(n) ?? n;
}

export function mountAgreementRoutes(router: Router, agreements: AgreementService, parks?: ParkDirectory): void {
  const view = async (r: AgreementRecord) => agreementView(r, await parkNames(parks, [r]));
  mount(router, agreementEndpoints.list, async ({ driver }) => {
    const plates = await agreements.list(driver.id);
    const name = await parkNames(parks, plates.flatMap((p) => p.agreements));
    return {
      plates: plates.map((p) => ({ plate: p.plate, plateKey: p.plateKey, bound: p.bound, agreements: p.agreements.map((a) => agreementView(a, name)) })),
      offered: agreements.offered(),
    };
  });

  mount(router, agreementEndpoints.signup, async ({ driver, body }) => {
    const { agreement, signup } = await agreements.startSignup(driver.id, body.plateKey, body.provider, { returnUrl: body.returnUrl, scope: body.scope });
    return { agreement: await view(agreement), signup: signupView(signup) };
  });

  mount(router, agreementEndpoints.confirm, async ({ driver, params }) => ({ agreement: await view(await agreements.confirm(driver.id, params.agreementId)) }));

  mount(router, agreementEndpoints.end, async ({ driver, params }) => ({ agreement: await view(await agreements.end(driver.id, params.agreementId)) }));
}

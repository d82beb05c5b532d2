/**
 * The driver's withholding agreements (contracts: shared/api/agreements.ts). Every route acts for the
 * session's driver only: another driver's agreement id reads as not found.
 */
import type Router from '@koa/router';
import { agreementEndpoints, type AgreementView, type SignupView } from '../../../../shared/api/agreements';
import type { SignupStart } from '../../core/agreements/gateways';
import type { AgreementRecord } from '../../core/agreements/model';
import type { AgreementService } from '../../core/agreements/service';
import { mount } from './mount';

const iso = (d: Date | undefined | null) => (d ? new Date(d).toISOString() : null);

export function agreementView(r: AgreementRecord): AgreementView {
  return {
    id: r.id,
    plate: r.plate,
    plateKey: r.plateKey,
    provider: r.provider,
    state: r.state,
    signedAt: iso(r.signedAt),
    endedAt: iso(r.endedAt),
    checkedAt: iso(r.checkedAt),
    reason: r.reason ?? null,
  };
}

function signupView(s: SignupStart): SignupView {
  return s.provider === 'wechat' ? { provider: 'wechat', navigate: s.navigate, h5Url: s.h5Url ?? null } : { provider: 'alipay', signUrl: s.signUrl };
}

export function mountAgreementRoutes(router: Router, agreements: AgreementService): void {
  mount(router, agreementEndpoints.list, async ({ driver }) => {
    const plates = await agreements.list(driver.id);
    return {
      plates: plates.map((p) => ({ plate: p.plate, plateKey: p.plateKey, bound: p.bound, agreements: p.agreements.map(agreementView) })),
      offered: agreements.offered(),
    };
  });

  mount(router, agreementEndpoints.signup, async ({ driver, body }) => {
    const { agreement, signup } = await agreements.startSignup(driver.id, body.plateKey, body.provider, { returnUrl: body.returnUrl });
    return { agreement: agreementView(agreement), signup: signupView(signup) };
  });

  mount(router, agreementEndpoints.confirm, async ({ driver, params }) => ({ agreement: agreementView(await agreements.confirm(driver.id, params.agreementId)) }));

  mount(router, agreementEndpoints.end, async ({ driver, params }) => ({ agreement: agreementView(await agreements.end(driver.id, params.agreementId)) }));
}

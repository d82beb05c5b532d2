/**
 * Withholding agreements (无感支付): a driver signs a bound plate up with WeChat Pay's vehicle parking
 * service or an Alipay agreement, and lanes take the parking fee from it without stopping (4.16, 4.27).
 * Contracts: GET /api/me/agreements, POST /api/me/agreements, POST /api/me/agreements/:agreementId/confirm,
 * POST /api/me/agreements/:agreementId/end.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

export const agreementProviderSchema = z.enum(['wechat', 'alipay']);
export type AgreementProvider = z.infer<typeof agreementProviderSchema>;

/** signing: sign-up started, not confirmed by the provider yet; paused: the provider holds it (the driver resumes it there). */
export const agreementStateSchema = z.enum(['signing', 'active', 'paused', 'ended']);
export type AgreementStateView = z.infer<typeof agreementStateSchema>;

/**
 * The parks lanes may take an agreement's money at: the park where the driver signs up, or every park this
 * service runs ("all parks of this operator"). Chosen and shown at sign-up.
 */
export const agreementScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('park'), parkNumber: z.string().trim().min(1).max(64) }),
]);
export type AgreementScopeInput = z.infer<typeof agreementScopeSchema>;

export const agreementScopeViewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }),
  z.object({ kind: z.literal('park'), parkNumber: z.string(), parkName: z.string() }),
]);
export type AgreementScopeView = z.infer<typeof agreementScopeViewSchema>;

export const agreementViewSchema = z.object({
  id: z.string(),
  plate: z.string(),
  plateKey: z.string(),
  provider: agreementProviderSchema,
  state: agreementStateSchema,
  /** Where lanes may take its money. */
  scope: agreementScopeViewSchema,
  signedAt: z.iso.datetime().nullable(),
  endedAt: z.iso.datetime().nullable(),
  /** When the provider last said how it stands. */
  checkedAt: z.iso.datetime().nullable(),
  /** Why it is paused or ended, when known. */
  reason: z.string().nullable(),
});
export type AgreementView = z.infer<typeof agreementViewSchema>;

export const plateAgreementsSchema = z.object({
  plate: z.string(),
  plateKey: z.string(),
  /** false: the plate was unbound but its agreement still lives (end it). */
  bound: z.boolean(),
  agreements: z.array(agreementViewSchema),
});
export type PlateAgreementsView = z.infer<typeof plateAgreementsSchema>;

/** What the app opens to sign up. */
export const signupSchema = z.discriminatedUnion('provider', [
  z.object({
    provider: z.literal('wechat'),
    /** Taro.navigateToMiniProgram({ appId, path, extraData }): WeChat's parking-service sign-up. */
    navigate: z.object({ appId: z.string(), path: z.string(), extraData: z.record(z.string(), z.string()) }),
    /** H5 demo: the sandbox's sign-up page (a real deployment has none). */
    h5Url: z.string().nullable(),
  }),
  z.object({
    provider: z.literal('alipay'),
    /** Alipay's sign page (my.ap.navigateToAlipayPage / a web view; H5 demo: the sandbox page). */
    signUrl: z.string(),
  }),
]);
export type SignupView = z.infer<typeof signupSchema>;

const agreementAnswer = z.object({ agreement: agreementViewSchema });
const agreementIdParams = z.object({ agreementId: z.string().trim().min(1).max(64) });

export const agreementEndpoints = {
  list: defineEndpoint({
    summary: "The driver's plates with their agreements (stale ones refreshed from the provider), and the providers offered.",
    method: 'GET',
    path: '/api/me/agreements',
    auth: 'driver',
    response: z.object({ plates: z.array(plateAgreementsSchema), offered: z.array(agreementProviderSchema) }),
  }),
  signup: defineEndpoint({
    summary: 'Start signing a bound plate up with a provider; answers what the app opens.',
    method: 'POST',
    path: '/api/me/agreements',
    auth: 'driver',
    body: z.object({
      plateKey: z.string().trim().min(1).max(32),
      provider: agreementProviderSchema,
      /** Where the provider's page sends the browser back (H5 / web view). */
      returnUrl: z.url({ protocol: /^https?$/ }).max(512).optional(),
      /** The parks it will cover (default: all parks, as older app versions said at sign-up). */
      scope: agreementScopeSchema.optional(),
    }),
    response: z.object({ agreement: agreementViewSchema, signup: signupSchema }),
    /**
     * plate_not_bound (409): bind it first; agreement_active (409); wallet_not_linked (409: WeChat needs a
     * WeChat login); provider_unavailable (503: not offered here); provider_unreachable (503); provider_refused (502).
     */
    errors: ['plate_not_bound', 'agreement_active', 'wallet_not_linked', 'provider_unavailable', 'provider_unreachable', 'provider_refused', 'park_unknown', 'unauthenticated'],
  }),
  confirm: defineEndpoint({
    summary: 'The app came back from signing: ask the provider how the agreement stands now.',
    method: 'POST',
    path: '/api/me/agreements/:agreementId/confirm',
    auth: 'driver',
    params: agreementIdParams,
    body: z.object({}).optional(),
    response: agreementAnswer,
    errors: ['not_found', 'provider_unreachable', 'provider_refused'],
  }),
  end: defineEndpoint({
    summary: 'End the agreement (Alipay unsigns). WeChat: end_with_provider (409), the message says where to end it in WeChat.',
    method: 'POST',
    path: '/api/me/agreements/:agreementId/end',
    auth: 'driver',
    params: agreementIdParams,
    body: z.object({}).optional(),
    response: agreementAnswer,
    errors: ['not_found', 'end_with_provider', 'provider_unavailable', 'provider_unreachable', 'provider_refused'],
  }),
} as const;

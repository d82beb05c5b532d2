/**
 * The one validated configuration. Sources, later wins: embedded defaults → the JSON file named by
 * PARKPAY_CONFIG → environment variables. Parsed with zod at boot; a missing or malformed value stops the
 * boot with a message naming the key. No value of this object is ever logged whole (see redactedConfig).
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { invoicingSchema, messagesSchema } from './config-notices';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** An IP address or a CIDR ("203.0.113.0/24", "2001:db8::/32"). */
const ipOrCidr = z.string().refine((s) => {
  const [addr, bits, more] = s.trim().split('/');
  const v = isIP(addr ?? '');
  if (!v || more !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (v === 4 ? 32 : 128));
}, 'must be an IP address or a CIDR such as 203.0.113.0/24');

/** Calls per minute and bursts per park on the lot's URLs (port/bluecard/call-guard.ts). */
const rateLimitsSchema = z.strictObject({
  callsPerMinute: z.number().positive().optional(),
  callsBurst: z.number().min(1).optional(),
  moneyPerMinute: z.number().positive().optional(),
  moneyBurst: z.number().min(1).optional(),
});

const parkSchema = z.strictObject({
  parkNumber: z.string().trim().min(1, 'must not be empty'),
  /** Bluecard's per-park key: the `sign` header is md5(key + parkNumber). */
  key: z.string().min(1, 'must not be empty'),
  /** Base URL of this park's Bluecard cloud, e.g. http://host:port (down calls go to <base>/bcopenapi/out/<name>). */
  bluecardBaseUrl: httpUrl,
  name: z.string().optional(),
  /** The addresses the park's Bluecard cloud calls from: its calls are taken only from there (recommended in production). */
  bluecardSources: z.array(ipOrCidr).min(1).optional(),
  /** This park's rate limits on the lot's URLs, beside the defaults (`bluecardRateLimits`). */
  rateLimits: rateLimitsSchema.optional(),
});

const wechatPaySchema = z.strictObject({
  appId: z.string().min(1),
  mchId: z.string().min(1),
  /** Merchant API certificate serial number (hex). */
  merchantSerialNo: z.string().min(1),
  /** Merchant private key, PEM text. */
  merchantPrivateKey: z.string().min(1),
  /** APIv3 key, 32 bytes. */
  apiV3Key: z.string().length(32, 'must be exactly 32 characters'),
  /** How WeChat Pay's answers and notifications are verified. */
  verification: z.discriminatedUnion('mode', [
    z.strictObject({ mode: z.literal('platformCertificate') }),
    z.strictObject({
      mode: z.literal('publicKey'),
      publicKeyId: z.string().startsWith('PUB_KEY_ID_', 'must start with PUB_KEY_ID_'),
      publicKey: z.string().min(1),
    }),
  ]),
  baseUrl: httpUrl.default('https://api.mch.weixin.qq.com'),
  notifyUrl: httpUrl.optional(),
  /**
   * Booth face-to-face payment (4.24–4.26) uses WeChat Pay's API v2 (XML; 付款码支付 micropay, orderquery,
   * reverse), signed with the API v2 key (32 characters). Unset: WeChat payment codes are refused at the booth.
   */
  apiV2Key: z.string().length(32, 'must be exactly 32 characters').optional(),
  /** v2 sign type (default HMAC-SHA256). */
  v2SignType: z.enum(['HMAC-SHA256', 'MD5']).optional(),
  /**
   * The merchant API client certificate (apiclient_cert.pem + apiclient_key.pem, or apiclient_cert.p12 as
   * base64 with its passphrase, which is the mchId by default): v2 /secapi/ calls (reverse) need mutual TLS
   * with it. Required for booth payments against an https base URL; the sandbox (http) does without.
   */
  apiClientCertificate: z
    .union([
      z.strictObject({ certPem: z.string().min(1), keyPem: z.string().min(1) }),
      z.strictObject({ pfxBase64: z.string().min(1), passphrase: z.string().optional() }),
    ])
    .optional(),
  /** spbill_create_ip of micropay: the IPv4 address of the booth / server (default 127.0.0.1). */
  terminalIp: z.ipv4().optional(),
});

const alipaySchema = z.strictObject({
  appId: z.string().min(1),
  privateKey: z.string().min(1),
  alipayPublicKey: z.string().min(1),
  keyType: z.enum(['PKCS1', 'PKCS8']).default('PKCS8'),
  gateway: httpUrl.default('https://openapi.alipay.com/gateway.do'),
  notifyUrl: httpUrl.optional(),
});

/**
 * Withholding agreements (无感支付; lanes deduct with 4.16 / 4.27): WeChat Pay's vehicle parking service for
 * the wechatPay merchant (the product must be enabled for it). notifyUrl default: <publicBaseUrl>/notify/wechatpay/parking.
 */
const wechatParkingSchema = z.strictObject({
  notifyUrl: httpUrl.optional(),
  /** Service-provider mode: the lots' sub-merchant and its appid. */
  subMchid: z.string().min(1).optional(),
  subAppid: z.string().min(1).optional(),
  /** free_duration of parking entries, seconds. */
  freeDurationSeconds: z.number().int().min(0).optional(),
});

/** Alipay 商家扣款 agreements for the alipay app. notifyUrl default: <publicBaseUrl>/notify/alipay/agreement. */
const alipayAgreementSchema = z.strictObject({
  notifyUrl: httpUrl.optional(),
  /** The sign_scene Alipay gave the merchant ("INDUSTRY|…"). */
  signScene: z.string().regex(/^INDUSTRY\|[A-Z_]+$/, 'must look like INDUSTRY|PARKING').optional(),
  /** Where the sign page sends the browser back when the app names none. */
  returnUrl: httpUrl.optional(),
});

/** The WeChat mini-program drivers log in with (wx.login → code2Session). */
const wechatMiniProgramSchema = z.strictObject({
  appId: z.string().min(1),
  appSecret: z.string().min(1),
  apiBaseUrl: httpUrl.default('https://api.weixin.qq.com'),
});

/**
 * How long a client may take to send its request. Node's defaults (5 minutes for a request, checked every
 * 30 s) let a slow or stalled body hold a connection and its memory for ~5 minutes; lots, providers and
 * drivers send small requests (4.14 pictures up to 8 MB from a lot's cloud), so a request must arrive in
 * seconds.
 */
const httpSchema = z
  .strictObject({
    /** The request line and headers must arrive within this (ms). */
    headersTimeoutMs: z.number().int().min(100).max(300_000).default(10_000),
    /** The whole request, body included, must arrive within this (ms); the answer may take longer. */
    requestTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** An idle keep-alive connection is closed after this (ms). */
    keepAliveTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
  })
  .refine((h) => h.headersTimeoutMs <= h.requestTimeoutMs, { path: ['headersTimeoutMs'], message: 'must not exceed requestTimeoutMs' });

const HTTP_DEFAULTS = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 };

export const configSchema = z
  .strictObject({
    /** demo: embedded sandboxes and a demo park; production: real hosts, everything configured. */
    mode: z.enum(['demo', 'production']).default('demo'),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    /** A MongoDB URI. Unset: the server starts an embedded engine that keeps its data in dataDir. */
    mongodbUri: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
    /** Where the embedded database (and other local state) lives. */
    dataDir: z.string().min(1).default('.data'),
    /** Where build products such as the FerretDB binary are cached. */
    cacheDir: z.string().min(1).default('.cache'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** The public base URL of this server (used in notify URLs and lane QR links). */
    publicBaseUrl: httpUrl.optional(),
    parks: z.array(parkSchema).default([]),
    /** Signs short-lived picture links; set the same value in every process (unset: random per process). */
    urlSigningKey: z.string().min(16, 'at least 16 characters').optional(),
    /** Request timeouts (see httpSchema). */
    http: httpSchema.default(HTTP_DEFAULTS),
    /**
     * How many proxies in front of us append to X-Forwarded-For (0: none — the peer address is the client's).
     * Client addresses (the parks' source allow-lists, rate limits per address) are read accordingly.
     */
    trustProxyHops: z.coerce.number().int().min(0).max(10).default(0),
    /** Rate limits per park on the lot's URLs (defaults in port/bluecard/call-guard.ts). */
    bluecardRateLimits: rateLimitsSchema.optional(),
    /** The mini-program's H5 build served at / (when it exists). */
    h5Dir: z.string().min(1).default('miniapp/dist/h5'),
    /** Demo mode's stand-ins. */
    demo: z
      .strictObject({
        bluecardSandboxPort: z.coerce.number().int().min(0).max(65535).default(8081),
        wechatPaySandboxPort: z.coerce.number().int().min(0).max(65535).default(8082),
        alipaySandboxPort: z.coerce.number().int().min(0).max(65535).default(8083),
        wechatLoginSandboxPort: z.coerce.number().int().min(0).max(65535).default(8084),
        /** `npm start` builds the driver app (H5) when it is missing or older than its sources. */
        buildDriverApp: z.preprocess((v) => (v === '0' || v === 'false' ? false : v === '1' || v === 'true' ? true : v), z.boolean()).default(true),
      })
      .default({ bluecardSandboxPort: 8081, wechatPaySandboxPort: 8082, alipaySandboxPort: 8083, wechatLoginSandboxPort: 8084, buildDriverApp: true }),
    wechatMiniProgram: wechatMiniProgramSchema.optional(),
    wechatPay: wechatPaySchema.optional(),
    alipay: alipaySchema.optional(),
    /** Withholding agreements: offered only when configured (demo mode: always, on the sandboxes). */
    wechatParking: wechatParkingSchema.optional(),
    alipayAgreement: alipayAgreementSchema.optional(),
    /** E-invoices and messages to drivers (config-notices.ts). */
    invoicing: invoicingSchema.optional(),
    messages: messagesSchema.optional(),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.parks.forEach((p, i) => {
      if (seen.has(p.parkNumber)) {
        ctx.addIssue({ code: 'custom', path: ['parks', i, 'parkNumber'], message: `duplicate park ${p.parkNumber}` });
      }
      seen.add(p.parkNumber);
    });
    const wp = c.wechatPay;
    if (wp?.apiV2Key && wp.baseUrl.startsWith('https:') && !wp.apiClientCertificate) {
      ctx.addIssue({
        code: 'custom',
        path: ['wechatPay', 'apiClientCertificate'],
        message: 'is required with apiV2Key: booth payments are reversed at /secapi/pay/reverse, which needs mutual TLS',
      });
    }
    if (c.wechatParking && !c.wechatPay) ctx.addIssue({ code: 'custom', path: ['wechatParking'], message: 'needs wechatPay (the merchant of the parking service)' });
    if (c.invoicing?.wechat && !(c.wechatPay && c.wechatMiniProgram)) {
      ctx.addIssue({ code: 'custom', path: ['invoicing', 'wechat'], message: "needs wechatPay (the merchant that issues) and wechatMiniProgram (the drivers' openids)" });
    }
    if (c.messages?.wechat && !c.wechatMiniProgram) ctx.addIssue({ code: 'custom', path: ['messages', 'wechat'], message: 'needs wechatMiniProgram (its appid and secret get the access token)' });
    if (c.messages?.alipay && !c.alipay) ctx.addIssue({ code: 'custom', path: ['messages', 'alipay'], message: 'needs alipay (the app that sends)' });
    if (c.alipayAgreement && !c.alipay) ctx.addIssue({ code: 'custom', path: ['alipayAgreement'], message: 'needs alipay (the app that signs the agreements)' });
    if (c.mode === 'production') {
      if (!c.mongodbUri) ctx.addIssue({ code: 'custom', path: ['mongodbUri'], message: 'is required in production mode' });
      if (c.parks.length === 0) ctx.addIssue({ code: 'custom', path: ['parks'], message: 'at least one park is required in production mode' });
      if (!c.publicBaseUrl) ctx.addIssue({ code: 'custom', path: ['publicBaseUrl'], message: 'is required in production mode' });
      if (!c.wechatPay && !c.alipay) {
        ctx.addIssue({ code: 'custom', path: ['wechatPay'], message: 'wechatPay or alipay is required in production mode' });
      }
      if (c.wechatPay && !c.wechatMiniProgram) {
        ctx.addIssue({ code: 'custom', path: ['wechatMiniProgram'], message: "is required with wechatPay (JSAPI payments need the driver's openid)" });
      }
    }
  });

export type Config = z.infer<typeof configSchema>;
export type ParkConfig = z.infer<typeof parkSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variables and the config key each one sets. */
const ENV_KEYS: Record<string, keyof Config> = {
  PARKPAY_MODE: 'mode',
  HOST: 'host',
  PORT: 'port',
  MONGODB_URI: 'mongodbUri',
  PARKPAY_DATA_DIR: 'dataDir',
  PARKPAY_CACHE_DIR: 'cacheDir',
  LOG_LEVEL: 'logLevel',
  PARKPAY_PUBLIC_BASE_URL: 'publicBaseUrl',
  PARKPAY_URL_SIGNING_KEY: 'urlSigningKey',
  PARKPAY_H5_DIR: 'h5Dir',
  PARKPAY_TRUST_PROXY_HOPS: 'trustProxyHops',
};
/** Nested keys set by environment variables. */
const ENV_NESTED: Record<string, [keyof Config, string]> = {
  PARKPAY_DEMO_BLUECARD_PORT: ['demo', 'bluecardSandboxPort'],
  PARKPAY_DEMO_WECHAT_LOGIN_PORT: ['demo', 'wechatLoginSandboxPort'],
  PARKPAY_DEMO_WECHATPAY_PORT: ['demo', 'wechatPaySandboxPort'],
  PARKPAY_DEMO_ALIPAY_PORT: ['demo', 'alipaySandboxPort'],
  PARKPAY_DEMO_BUILD_H5: ['demo', 'buildDriverApp'],
};
/** JSON-valued environment variables (for deployments that configure by environment alone). */
const ENV_JSON_KEYS: Record<string, keyof Config> = {
  PARKPAY_PARKS: 'parks',
  PARKPAY_WECHATPAY: 'wechatPay',
  PARKPAY_ALIPAY: 'alipay',
  PARKPAY_WECHAT_MINIPROGRAM: 'wechatMiniProgram',
  PARKPAY_WECHAT_PARKING: 'wechatParking',
  PARKPAY_ALIPAY_AGREEMENT: 'alipayAgreement',
  PARKPAY_HTTP: 'http',
  PARKPAY_BLUECARD_RATE_LIMITS: 'bluecardRateLimits',
  PARKPAY_INVOICING: 'invoicing',
  PARKPAY_MESSAGES: 'messages',
};

function formatPath(p: PropertyKey[]): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`)).join('') || '(root)';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const problems: string[] = [];
  let raw: Record<string, unknown> = {};
  const file = env.PARKPAY_CONFIG;
  if (file) {
    try {
      raw = JSON.parse(readFileSync(path.resolve(cwd, file), 'utf8'));
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not a JSON object');
    } catch (e) {
      throw new ConfigError([`PARKPAY_CONFIG (${file}): ${(e as Error).message}`]);
    }
  }
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  for (const [name, [key, sub]] of Object.entries(ENV_NESTED)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    const current = raw[key];
    raw[key] = { ...(typeof current === 'object' && current !== null ? current : {}), [sub]: v };
  }
  for (const [name, key] of Object.entries(ENV_JSON_KEYS)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    try {
      raw[key] = JSON.parse(v);
    } catch (e) {
      problems.push(`${key} (from ${name}): not valid JSON: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`));
  }
  const c = parsed.data;
  return { ...c, dataDir: path.resolve(cwd, c.dataDir), cacheDir: path.resolve(cwd, c.cacheDir), h5Dir: path.resolve(cwd, c.h5Dir) };
}

/** What may be printed of the configuration: shape and non-secret values only. */
export function redactedConfig(c: Config): Record<string, unknown> {
  return {
    mode: c.mode,
    host: c.host,
    port: c.port,
    database: c.mongodbUri ? redactUri(c.mongodbUri) : 'embedded',
    dataDir: c.dataDir,
    parks: c.parks.map((p) => ({ parkNumber: p.parkNumber, bluecardBaseUrl: p.bluecardBaseUrl, bluecardSources: p.bluecardSources ?? null })),
    wechatPay: c.wechatPay ? { appId: c.wechatPay.appId, mchId: c.wechatPay.mchId, baseUrl: c.wechatPay.baseUrl } : undefined,
    alipay: c.alipay ? { appId: c.alipay.appId, gateway: c.alipay.gateway } : undefined,
    wechatMiniProgram: c.wechatMiniProgram ? { appId: c.wechatMiniProgram.appId, apiBaseUrl: c.wechatMiniProgram.apiBaseUrl } : undefined,
    wechatParking: c.wechatParking,
    alipayAgreement: c.alipayAgreement,
    invoicing: c.invoicing ? { wechat: c.invoicing.wechat ? { callbackUrl: c.invoicing.wechat.callbackUrl ?? null } : null, parks: Object.keys(c.invoicing.parks) } : undefined,
    messages: c.messages ? { wechat: c.messages.wechat ? Object.keys(c.messages.wechat.templates) : null, alipay: c.messages.alipay ? Object.keys(c.messages.alipay.templates) : null } : undefined,
  };
}

/** mongodb://user:secret@host/db → mongodb://user:***@host/db */
export function redactUri(uri: string): string {
  return uri.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

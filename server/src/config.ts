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
  callsPerMinute: z.number().positive().optional().meta({ description: "calls a minute a park's Bluecard cloud may make to our URLs" }),
  callsBurst: z.number().min(1).optional().meta({ description: 'how many of them may come at once' }),
  moneyPerMinute: z.number().positive().optional().meta({ description: 'calls a minute that can move money (4.16, 4.24, 4.27)' }),
  moneyBurst: z.number().min(1).optional().meta({ description: 'how many of those may come at once' }),
});
const pem = (description: string) => z.string().min(1).meta({ description });
const sandboxPort = (port: number, what: string) =>
  z.coerce.number().int().min(0).max(65535).default(port).meta({ description: `port of ${what} (0: any free port)` });

const parkSchema = z.strictObject({
  parkNumber: z.string().trim().min(1, 'must not be empty').meta({ description: "Bluecard's park number (parkNumber of every call)" }),
  key: z.string().min(1, 'must not be empty').meta({ description: "the park's Bluecard key: calls carry `sign: md5(key + parkNumber)`; secret" }),
  bluecardBaseUrl: httpUrl.meta({ description: "base URL of the park's Bluecard cloud (down calls go to `<base>/bcopenapi/out/<name>`)" }),
  name: z.string().optional().meta({ description: "the park's name as drivers see it" }),
  bluecardSources: z
    .array(ipOrCidr)
    .min(1)
    .optional()
    .meta({ description: "addresses (IPs or CIDRs) the park's Bluecard cloud calls from: its calls are taken only from there (recommended in production; a start without it warns)" }),
  rateLimits: rateLimitsSchema.optional().meta({ description: "this park's rate limits on the lot's URLs, beside the defaults (bluecardRateLimits)" }),
});

const wechatPaySchema = z
  .strictObject({
    appId: z.string().min(1).meta({ description: 'the appid payments are made for (the mini-program\'s)' }),
    mchId: z.string().min(1).meta({ description: 'merchant number (商户号)' }),
    merchantSerialNo: z.string().min(1).meta({ description: 'serial number (hex) of the merchant API certificate' }),
    merchantPrivateKey: pem('merchant API private key (apiclient_key.pem), PEM; secret'),
    apiV3Key: z.string().length(32, 'must be exactly 32 characters').meta({ description: 'APIv3 key, 32 characters (decrypts notifications); secret' }),
    verification: z
      .discriminatedUnion('mode', [
        z.strictObject({ mode: z.literal('platformCertificate') }),
        z.strictObject({
          mode: z.literal('publicKey'),
          publicKeyId: z.string().startsWith('PUB_KEY_ID_', 'must start with PUB_KEY_ID_').meta({ description: 'the WeChat Pay public key id (PUB_KEY_ID_…)' }),
          publicKey: pem('the WeChat Pay public key, PEM'),
        }),
      ])
      .meta({ description: "how WeChat Pay's answers and notifications are verified: `{mode:'platformCertificate'}` (certificates downloaded and decrypted with apiV3Key) or `{mode:'publicKey', publicKeyId, publicKey}` (微信支付公钥)" }),
    baseUrl: httpUrl.default('https://api.mch.weixin.qq.com').meta({ description: 'WeChat Pay API host' }),
    notifyUrl: httpUrl.optional().meta({ description: 'payment notify URL (default `<publicBaseUrl>/notify/wechatpay`); https in production' }),
    apiV2Key: z
      .string()
      .length(32, 'must be exactly 32 characters')
      .optional()
      .meta({ description: 'API v2 key, 32 characters, for booth payment codes (4.24–4.26: micropay, orderquery, reverse); unset: WeChat payment codes are refused at the booth; secret' }),
    v2SignType: z.enum(['HMAC-SHA256', 'MD5']).optional().meta({ description: 'sign type of the v2 calls (default HMAC-SHA256)' }),
    apiClientCertificate: z
      .union([
        z.strictObject({ certPem: pem('apiclient_cert.pem, PEM'), keyPem: pem('apiclient_key.pem, PEM') }),
        z.strictObject({
          pfxBase64: z.string().min(1).meta({ description: 'apiclient_cert.p12, base64' }),
          passphrase: z.string().optional().meta({ description: 'its passphrase (default: mchId)' }),
        }),
      ])
      .optional()
      .meta({ description: 'merchant API client certificate for mutual TLS on v2 /secapi/ calls (reverse); required with apiV2Key against an https baseUrl; secret' }),
    terminalIp: z.ipv4().optional().meta({ description: 'spbill_create_ip of micropay: IPv4 address of the booth or server (default 127.0.0.1)' }),
  })
  .meta({ description: 'WeChat Pay (API v3) merchant: JSAPI payments in the mini-program, Native QR at lanes, refunds; needs wechatMiniProgram' });

const alipaySchema = z
  .strictObject({
    appId: z.string().min(1).meta({ description: 'the Alipay app id' }),
    privateKey: pem('the app private key (应用私钥), PEM or bare base64; secret'),
    alipayPublicKey: z
      .string()
      .min(1)
      .optional()
      .meta({ description: '公钥模式: the Alipay public key (PEM or bare base64); set this or the three certificates' }),
    appCert: pem('公钥证书模式: the app public key certificate (appCertPublicKey_<appId>.crt), PEM').optional(),
    alipayPublicCert: pem('公钥证书模式: the Alipay public key certificate (alipayCertPublicKey_RSA2.crt), PEM').optional(),
    alipayRootCert: pem('公钥证书模式: the Alipay root certificate bundle (alipayRootCert.crt), PEM').optional(),
    sellerId: z
      .string()
      .regex(/^2088\d{12}$/, 'must be a PID: 2088 and 12 digits')
      .optional()
      .meta({ description: 'our seller id (PID, 2088…): a notification whose seller_id differs is refused' }),
    keyType: z.enum(['PKCS1', 'PKCS8']).default('PKCS8').meta({ description: 'format of privateKey: PKCS8 (BEGIN PRIVATE KEY) or PKCS1 (BEGIN RSA PRIVATE KEY)' }),
    gateway: httpUrl.default('https://openapi.alipay.com/gateway.do').meta({ description: 'Open API gateway' }),
    notifyUrl: httpUrl.optional().meta({ description: 'payment notify URL (default `<publicBaseUrl>/notify/alipay`); https in production' }),
  })
  .meta({
    description:
      'Alipay app: mini-program payments, precreate QR at lanes, refunds, login. Keys in 公钥模式 (alipayPublicKey) or 公钥证书模式 (appCert, alipayPublicCert, alipayRootCert)',
  });

const wechatParkingSchema = z
  .strictObject({
    notifyUrl: httpUrl.optional().meta({ description: 'default `<publicBaseUrl>/notify/wechatpay/parking`; https in production' }),
    subMchid: z.string().min(1).optional().meta({ description: "service-provider mode: the lots' sub-merchant" }),
    subAppid: z.string().min(1).optional().meta({ description: "service-provider mode: the sub-merchant's appid" }),
    freeDurationSeconds: z.number().int().min(0).optional().meta({ description: 'free_duration of parking entries, seconds' }),
  })
  .meta({ description: "WeChat Pay's vehicle parking service (无感支付) for withholding at lanes (4.16 / 4.27); needs wechatPay, whose merchant must have the product; demo mode: on" });

const alipayAgreementSchema = z
  .strictObject({
    notifyUrl: httpUrl.optional().meta({ description: 'default `<publicBaseUrl>/notify/alipay/agreement`; https in production' }),
    signScene: z
      .string()
      .regex(/^INDUSTRY\|[A-Z_]+$/, 'must look like INDUSTRY|PARKING')
      .optional()
      .meta({ description: 'the sign_scene Alipay gave the merchant (INDUSTRY|…)' }),
    returnUrl: httpUrl.optional().meta({ description: 'where the sign page sends the browser back when the app names none; https in production' }),
  })
  .meta({ description: 'Alipay 商家扣款 agreements for withholding at lanes (4.16 / 4.27); needs alipay; demo mode: on' });

const wechatMiniProgramSchema = z
  .strictObject({
    appId: z.string().min(1).meta({ description: "the mini-program's appid" }),
    appSecret: z.string().min(1).meta({ description: 'its AppSecret (code2Session); secret' }),
    apiBaseUrl: httpUrl.default('https://api.weixin.qq.com').meta({ description: 'WeChat API host' }),
  })
  .meta({ description: 'the WeChat mini-program drivers log in with (wx.login → code2Session); required with wechatPay (JSAPI payments need the openid)' });

/**
 * How long a client may take to send its request. Node's defaults (5 minutes for a request, checked every
 * 30 s) let a slow or stalled body hold a connection and its memory for ~5 minutes; lots, providers and
 * drivers send small requests (4.14 pictures up to 8 MB from a lot's cloud), so a request must arrive in
 * seconds.
 */
const httpSchema = z
  .strictObject({
    headersTimeoutMs: z.number().int().min(100).max(300_000).default(10_000).meta({ description: 'the request line and headers must arrive within this (ms)' }),
    requestTimeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(30_000)
      .meta({ description: 'the whole request, body included, must arrive within this (ms); the answer may take longer' }),
    keepAliveTimeoutMs: z.number().int().min(100).max(120_000).default(5_000).meta({ description: 'an idle keep-alive connection is closed after this (ms)' }),
  })
  .refine((h) => h.headersTimeoutMs <= h.requestTimeoutMs, { path: ['headersTimeoutMs'], message: 'must not exceed requestTimeoutMs' });

const HTTP_DEFAULTS = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000 };

/** Keys that make a configuration real: with any of them, demo mode (public demo admin, open demo login) is refused. */
export const REAL_KEYS = ['parks', 'wechatPay', 'alipay', 'wechatMiniProgram', 'mongodbUri', 'publicBaseUrl'] as const;

/** Loopback hosts: plain http is accepted there in production (tests, a sidecar on the same host). */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

export const configSchema = z
  .strictObject({
    mode: z
      .enum(['demo', 'production'])
      .optional()
      .meta({
        description:
          'production: real parks, payments and MongoDB. demo: the sandboxes, a demo park and the demo admin; the default only when none of parks, wechatPay, alipay, wechatMiniProgram, mongodbUri, publicBaseUrl is set — with any of them set, the boot stops unless mode is production',
      }),
    host: z.string().min(1).default('127.0.0.1').meta({ description: 'address the server listens on (0.0.0.0 in a container)' }),
    port: z.coerce.number().int().min(0).max(65535).default(8080).meta({ description: 'port it listens on (0: any free port)' }),
    mongodbUri: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .optional()
      .meta({ description: 'MongoDB URI (a replica set: `mongodb://a,b,c/parkpay?replicaSet=rs0`); unset: the embedded engine, demo and tests only; required in production; secret (password)' }),
    dataDir: z.string().min(1).default('.data').meta({ description: 'folder of the embedded database engine' }),
    cacheDir: z.string().min(1).default('.cache').meta({ description: 'build products (the FerretDB binary)' }),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').meta({ description: 'pino log level' }),
    publicBaseUrl: httpUrl
      .optional()
      .meta({ description: 'our public URL, in notify URLs and lane QR links; required in production, where it must be https (loopback hosts excepted)' }),
    parks: z.array(parkSchema).default([]).meta({ description: 'the Bluecard parks, registered (again) at every start; operators add more in the console' }),
    urlSigningKey: z
      .string()
      .min(16, 'at least 16 characters')
      .optional()
      .meta({ description: 'signs short-lived picture links; set the same value in every process (unset: random per process, so a link works only on the process that made it); secret' }),
    h5Dir: z.string().min(1).default('miniapp/dist/h5').meta({ description: 'the H5 build served at / (when it exists)' }),
    http: httpSchema.default(HTTP_DEFAULTS).meta({ description: 'request timeouts: a request must arrive in seconds, not the 5 minutes node allows' }),
    trustProxyHops: z.coerce
      .number()
      .int()
      .min(0)
      .max(10)
      .default(0)
      .meta({
        description:
          'how many proxies in front of us append to X-Forwarded-For (0: none, the peer address is the client\'s); client addresses (source allow-lists, rate limits per address) are read accordingly — 1 behind the compose file\'s nginx',
      }),
    metrics: z
      .strictObject({
        port: z.coerce.number().int().min(0).max(65535).optional().meta({ description: '/metrics on a listener of its own at this port (for the internal network the scraper is on; 0: any free port)' }),
        host: z.string().min(1).optional().meta({ description: 'address of that listener (default: host)' }),
        token: z
          .string()
          .min(16, 'at least 16 characters')
          .optional()
          .meta({ description: '/metrics on the main port answers only `Authorization: Bearer <token>` (checked on metrics.port too when set); secret' }),
      })
      .optional()
      .meta({ description: 'Prometheus metrics (docs/operations.md): metrics.port, metrics.token, or both; neither: no /metrics' }),
    retention: z
      .strictObject({
        heartbeatDays: z.coerce.number().int().min(1).max(366).default(7).meta({ description: "days each park's heartbeat history is kept (the latest heartbeat of a park is always kept); a TTL index on MongoDB" }),
        pictureDays: z.coerce.number().int().min(1).max(3660).default(90).meta({ description: "days the lots' entry and exit pictures are kept; older ones answer 404" }),
        auditDays: z.coerce
          .number()
          .int()
          .min(180, 'at least 180 days (network logs are kept six months at least)')
          .max(36600)
          .default(1095)
          .meta({ description: "days the operators' audit log is kept" }),
      })
      .default({ heartbeatDays: 7, pictureDays: 90, auditDays: 1095 })
      .meta({ description: 'how long records that grow without end are kept (docs/operations.md); expired sessions are removed when they expire' }),
    bluecardRateLimits: rateLimitsSchema.optional().meta({ description: 'rate limits per park on the lot\'s URLs (defaults in port/bluecard/call-guard.ts)' }),
    demo: z
      .strictObject({
        bluecardSandboxPort: sandboxPort(8081, 'the Bluecard sandbox'),
        wechatPaySandboxPort: sandboxPort(8082, 'the WeChat Pay sandbox'),
        alipaySandboxPort: sandboxPort(8083, 'the Alipay sandbox'),
        wechatLoginSandboxPort: sandboxPort(8084, 'the WeChat login sandbox'),
        buildDriverApp: z
          .preprocess((v) => (v === '0' || v === 'false' ? false : v === '1' || v === 'true' ? true : v), z.boolean())
          .default(true)
          .meta({ description: '`npm start` builds the driver app (H5) when it is missing or older than its sources (default true; 0 or false: never)' }),
      })
      .default({ bluecardSandboxPort: 8081, wechatPaySandboxPort: 8082, alipaySandboxPort: 8083, wechatLoginSandboxPort: 8084, buildDriverApp: true })
      .meta({ description: "demo mode's stand-ins" }),
    wechatMiniProgram: wechatMiniProgramSchema.optional(),
    wechatPay: wechatPaySchema.optional(),
    alipay: alipaySchema.optional(),
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
    if (c.alipay) {
      const certs = (['appCert', 'alipayPublicCert', 'alipayRootCert'] as const).filter((k) => c.alipay![k] !== undefined);
      if (c.alipay.alipayPublicKey !== undefined && certs.length > 0) {
        ctx.addIssue({ code: 'custom', path: ['alipay', certs[0]!], message: 'alipayPublicKey (公钥模式) and the certificates (公钥证书模式) exclude each other: the app is configured one way at Alipay' });
      } else if (c.alipay.alipayPublicKey === undefined && certs.length < 3) {
        const missing = (['appCert', 'alipayPublicCert', 'alipayRootCert'] as const).filter((k) => c.alipay![k] === undefined);
        ctx.addIssue({
          code: 'custom',
          path: ['alipay', certs.length ? missing[0]! : 'alipayPublicKey'],
          message: certs.length ? `公钥证书模式 needs all three certificates (missing: ${missing.join(', ')})` : 'alipayPublicKey, or appCert + alipayPublicCert + alipayRootCert, is required',
        });
      }
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
      // WeChat Pay refuses http notify URLs, and keys or tokens must not travel in the clear: https, except
      // on loopback (tests, a stand-in on the same host).
      const mustBeHttps: [PropertyKey[], string | undefined][] = [
        [['publicBaseUrl'], c.publicBaseUrl],
        [['wechatPay', 'notifyUrl'], c.wechatPay?.notifyUrl],
        [['wechatPay', 'baseUrl'], c.wechatPay?.baseUrl],
        [['alipay', 'notifyUrl'], c.alipay?.notifyUrl],
        [['alipay', 'gateway'], c.alipay?.gateway],
        [['wechatMiniProgram', 'apiBaseUrl'], c.wechatMiniProgram?.apiBaseUrl],
        [['wechatParking', 'notifyUrl'], c.wechatParking?.notifyUrl],
        [['alipayAgreement', 'notifyUrl'], c.alipayAgreement?.notifyUrl],
        [['alipayAgreement', 'returnUrl'], c.alipayAgreement?.returnUrl],
      ];
      for (const [path, url] of mustBeHttps) {
        if (url && !url.startsWith('https:') && !isLoopbackUrl(url)) {
          ctx.addIssue({ code: 'custom', path, message: `must be https in production mode (plain http only on a loopback host): ${url}` });
        }
      }
    }
  });

/** The configuration with its mode settled (loadConfig decides demo or refuses; see REAL_KEYS). */
export type Config = Omit<z.infer<typeof configSchema>, 'mode'> & { mode: 'demo' | 'production' };
export type ParkConfig = z.infer<typeof parkSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Environment variables and the config key each one sets. */
export const ENV_KEYS: Record<string, keyof Config> = {
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
export const ENV_NESTED: Record<string, [keyof Config, string]> = {
  PARKPAY_DEMO_BLUECARD_PORT: ['demo', 'bluecardSandboxPort'],
  PARKPAY_DEMO_WECHAT_LOGIN_PORT: ['demo', 'wechatLoginSandboxPort'],
  PARKPAY_DEMO_WECHATPAY_PORT: ['demo', 'wechatPaySandboxPort'],
  PARKPAY_DEMO_ALIPAY_PORT: ['demo', 'alipaySandboxPort'],
  PARKPAY_DEMO_BUILD_H5: ['demo', 'buildDriverApp'],
  PARKPAY_METRICS_PORT: ['metrics', 'port'],
  PARKPAY_METRICS_HOST: ['metrics', 'host'],
  PARKPAY_METRICS_TOKEN: ['metrics', 'token'],
  PARKPAY_RETENTION_HEARTBEAT_DAYS: ['retention', 'heartbeatDays'],
  PARKPAY_RETENTION_PICTURE_DAYS: ['retention', 'pictureDays'],
  PARKPAY_RETENTION_AUDIT_DAYS: ['retention', 'auditDays'],
};
/** JSON-valued environment variables (for deployments that configure by environment alone). */
export const ENV_JSON_KEYS: Record<string, keyof Config> = {
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

/** The environment variable that sets a top-level key, if one does. */
export function envNameOf(key: string): string | undefined {
  return [...Object.entries(ENV_KEYS), ...Object.entries(ENV_JSON_KEYS)].find(([, k]) => k === key)?.[0];
}

function formatPath(p: PropertyKey[]): string {
  return p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? String(s) : `.${String(s)}`)).join('') || '(root)';
}

export interface LoadOptions {
  /**
   * Let demo mode run with parks, a database or payment keys of the caller's (tests: the sandboxes on the
   * test database). Deliberately not reachable from a file or the environment: an operator who configured
   * anything real gets production mode or no start.
   */
  demoWithConfiguredKeys?: boolean;
  /**
   * A tool that only opens the database (create-admin, db:migrate) and starts no server: the demo rule does
   * not apply; the server's configuration (file and variables) is read as the server reads it.
   */
  databaseOnly?: boolean;
}

/** The keys of REAL_KEYS a parsed configuration sets (an empty parks list sets nothing). */
export function realKeysSet(c: z.infer<typeof configSchema>): string[] {
  return REAL_KEYS.filter((k) => (k === 'parks' ? c.parks.length > 0 : c[k] !== undefined));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), options: LoadOptions = {}): Config {
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
  const real = realKeysSet(c);
  let mode = c.mode;
  if (mode === undefined && real.length === 0) mode = 'demo';
  if (mode !== 'production' && real.length > 0 && !options.demoWithConfiguredKeys && !options.databaseOnly) {
    const via = real.map((k) => `${k}${envNameOf(k) ? ` (${envNameOf(k)})` : ''}`).join(', ');
    throw new ConfigError([
      `mode: ${mode === undefined ? 'is not set' : `is ${mode}`}, but ${via} ${real.length > 1 ? 'are' : 'is'} configured. ` +
        'Demo mode (a public demo admin password, an open demo login, the sandboxes) runs only when nothing real is configured: ' +
        'set mode to production (PARKPAY_MODE=production) to run this configuration, or remove these keys to run the demo.',
    ]);
  }
  return { ...c, mode: mode ?? 'demo', dataDir: path.resolve(cwd, c.dataDir), cacheDir: path.resolve(cwd, c.cacheDir), h5Dir: path.resolve(cwd, c.h5Dir) };
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
    metrics: c.metrics ? { port: c.metrics.port, host: c.metrics.host, token: c.metrics.token ? 'set' : undefined } : undefined,
    retention: c.retention,
  };
}

/** mongodb://user:secret@host/db → mongodb://user:***@host/db */
export function redactUri(uri: string): string {
  return uri.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

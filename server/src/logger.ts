import pino, { type Logger } from 'pino';

/**
 * Paths pino replaces with [redacted] wherever they appear in a log line. Secrets must never reach logs:
 * Bluecard keys and signs, payment keys, passwords, session tokens, authorization headers.
 */
export const REDACT_PATHS = [
  'key',
  '*.key',
  'parks[*].key',
  'sign',
  '*.sign',
  'password',
  '*.password',
  'token',
  '*.token',
  'privateKey',
  '*.privateKey',
  '*.merchantPrivateKey',
  '*.apiV3Key',
  '*.apiV2Key',
  '*.apiClientCertificate',
  'authCode',
  '*.authCode',
  'auth_code',
  '*.auth_code',
  '*.alipayPublicKey',
  'appSecret',
  'urlSigningKey',
  '*.appSecret',
  '*.session_key',
  '*.sessionKey',
  'req.headers.authorization',
  'req.headers.sign',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.sign',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'parkpay' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };

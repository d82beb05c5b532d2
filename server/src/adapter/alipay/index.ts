/**
 * adapter/alipay: Alipay Open API (gateway.do, alipay-sdk 4) for mini-program payments, lane QR codes,
 * refunds, driver login, and notification verification. See client.ts for what it adds to the SDK and
 * status.ts for the one table that turns Alipay's words into ours.
 */
export * from './agreement';
export * from './client';
export * from './errors';
export * from './messages';
export * from './money';
export * from './notification';
export * from './status';

/** Driver identity: drivers, sessions, logins, plates. */
export * from './model';
export * from './service';
export { demoWechatOpenId } from './demo';
export { displayPlate } from './plates';
export { hashSessionToken, looksLikeSessionToken } from './tokens';

/**
 * Demo mode's drivers: anyone may log in by name (the H5 build in a desktop browser has no wx.login). Each
 * name is a stable WeChat-like identity, so a demo driver pays through the WeChat Pay sandbox like a real
 * one. The "oDEMO" prefix makes them recognisable in the database; demo login is refused outside demo mode.
 */
import { createHash } from 'node:crypto';
import { DEMO_NAME } from '../../../../shared/api/auth';

export { DEMO_NAME };

/** 28 characters like a real openid: "oDEMO" + 23 of base64url(sha256(name)). */
export function demoWechatOpenId(name: string): string {
  return `oDEMO${createHash('sha256').update(`parkpay-demo:${name}`, 'utf8').digest('base64url').slice(0, 23)}`;
}

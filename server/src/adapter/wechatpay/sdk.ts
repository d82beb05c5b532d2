/**
 * wechatpay-node-v3 with the fixes we need, through a subclass (its members are protected):
 *
 * - requests are authorized with OUR clock and a crypto-random 32-character nonce (the SDK uses Date and
 *   Math.random, so a sandbox on a ManualClock would see stale timestamps);
 * - a signed GET for paths the SDK has no method for (/v3/certificates);
 * - the merchant certificate is not needed: `serial_no` comes from config, so `publicKey` (which the SDK
 *   only parses to read that serial) is a placeholder.
 *
 * Everything else (request bodies, the `appid`/`mchid` it adds, the signature string, the Authorization
 * header layout) is the SDK's.
 */
import Pay from 'wechatpay-node-v3';
import type { Output } from 'wechatpay-node-v3/dist/lib/interface-v2';
import type { IPayRequest } from 'wechatpay-node-v3/dist/lib/pay-request.interface';
import type { Clock } from '../../core/clock';
import { WECHAT_ORIGIN } from './http';
import { randomNonce } from './signature';

export interface SdkCredentials {
  appId: string;
  mchId: string;
  merchantSerialNo: string;
  merchantPrivateKey: string;
  apiV3Key: string;
}

export class WechatPaySdk extends Pay {
  private readonly clock: Clock;

  constructor(credentials: SdkCredentials, clock: Clock, http: IPayRequest, userAgent: string) {
    super({
      appid: credentials.appId,
      mchid: credentials.mchId,
      serial_no: credentials.merchantSerialNo,
      publicKey: Buffer.from('unused: serial_no is given'),
      privateKey: Buffer.from(credentials.merchantPrivateKey),
      key: credentials.apiV3Key,
      userAgent,
    });
    this.clock = clock;
    this.createHttp(http);
  }

  protected override buildAuthorization(method: string, url: string, params?: Record<string, unknown>): string {
    const nonce = randomNonce(32);
    const timestamp = String(Math.floor(this.clock.now() / 1000));
    const signature = this.getSignature(method, nonce, timestamp, url.replace(WECHAT_ORIGIN, ''), params);
    return this.getAuthorization(nonce, timestamp, signature);
  }

  /** GET `path` (starting with /v3/) signed like the SDK's own GETs. */
  signedGet(path: string): Promise<Output> {
    const url = WECHAT_ORIGIN + path;
    return this.httpService.get(url, this.getHeaders(this.buildAuthorization('GET', url)));
  }

  /** POST `body` as JSON to `path` (starting with /v3/), signed like the SDK's own POSTs (the same JSON.stringify bytes). */
  signedPost(path: string, body: Record<string, unknown>): Promise<Output> {
    const url = WECHAT_ORIGIN + path;
    return this.httpService.post(url, body, this.getHeaders(this.buildAuthorization('POST', url, body), { 'Content-Type': 'application/json' }));
  }

  /** PATCH `body` as JSON to `path` (starting with /v3/): e-invoicing's development configuration. */
  signedPatch(path: string, body: Record<string, unknown>): Promise<Output> {
    const url = WECHAT_ORIGIN + path;
    return (this.httpService as unknown as { patch(u: string, b: Record<string, unknown>, h: Record<string, unknown>): Promise<Output> }).patch(
      url,
      body,
      this.getHeaders(this.buildAuthorization('PATCH', url, body), { 'Content-Type': 'application/json' }),
    );
  }

  /** Hide the key material from util.inspect / console.log of this object. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `WechatPaySdk { mchid: ${this.mchid}, serial_no: ${this.serial_no} }`;
  }

  toJSON(): Record<string, string> {
    return { mchid: this.mchid, serial_no: this.serial_no };
  }
}

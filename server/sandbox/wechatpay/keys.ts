/**
 * Key material of the WeChat Pay sandbox, made fresh at every start:
 *
 * - the merchant's API key pair and serial (what config.wechatPay holds; the sandbox keeps the public
 *   half to check request signatures, as WeChat keeps the merchant certificate);
 * - the platform signing key, either as an X.509 "platform certificate" (certificate mode) or as a
 *   "WeChat Pay public key" with a PUB_KEY_ID_… id (public-key mode).
 *
 * Node can parse certificates but not issue them, so certificate mode runs the `openssl` CLI once per
 * certificate (about 25 ms).
 */
import { execFile } from 'node:child_process';
import crypto, { type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export class SandboxSetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SandboxSetupError';
  }
}

export interface MerchantKeys {
  merchantSerialNo: string;
  merchantPrivateKey: string;
  merchantPublicKey: KeyObject;
  apiV3Key: string;
}

export interface PlatformSigner {
  /** Wechatpay-Serial: the certificate serial (upper-case hex) or PUB_KEY_ID_…. */
  serial: string;
  privateKey: KeyObject;
  publicKeyPem: string;
  /** Certificate mode only. */
  certificatePem?: string;
  /** Validity (ms). */
  notBefore: number;
  notAfter: number;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomString(length: number, alphabet = ALNUM): string {
  const bytes = crypto.randomBytes(length);
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

/** 40 upper-case hex digits, first one non-zero: the shape of WeChat serials. */
export function randomSerial(): string {
  return randomString(1, '123456789ABCDEF') + randomString(39, '0123456789ABCDEF');
}

export function rsaKeyPair(): { privateKey: KeyObject; privateKeyPem: string; publicKey: KeyObject; publicKeyPem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function makeMerchantKeys(): MerchantKeys {
  const k = rsaKeyPair();
  return { merchantSerialNo: randomSerial(), merchantPrivateKey: k.privateKeyPem, merchantPublicKey: k.publicKey, apiV3Key: randomString(32) };
}

/** Public-key mode: `PUB_KEY_ID_01<mchid><yyyyMMdd><digits>`, like the ids WeChat hands out. */
export function makePublicKeySigner(mchId: string, now: number): PlatformSigner {
  const k = rsaKeyPair();
  const day = new Date(now + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
  const id = `PUB_KEY_ID_01${mchId}${day}${randomString(10, '0123456789')}`;
  return { serial: id, privateKey: k.privateKey, publicKeyPem: k.publicKeyPem, notBefore: now, notAfter: now + 5 * 365 * 86_400_000 };
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 15_000 }, (err, _stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(new SandboxSetupError('the WeChat Pay sandbox needs the `openssl` CLI for certificate mode and it is not installed (apt-get install -y openssl), or start it with mode: \'publicKey\'', { cause: err }));
        } else {
          reject(new SandboxSetupError(`openssl failed: ${stderr.toString().trim() || err.message}`, { cause: err }));
        }
      } else resolve();
    });
  });
}

/** Certificate mode: a self-signed X.509 certificate over a fresh key, serial random, valid 5 years. */
export async function makeCertificateSigner(openssl = 'openssl'): Promise<PlatformSigner> {
  const k = rsaKeyPair();
  const serial = randomSerial();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wechatpay-sandbox-'));
  try {
    const keyFile = path.join(dir, 'platform_key.pem');
    const certFile = path.join(dir, 'platform_cert.pem');
    await writeFile(keyFile, k.privateKeyPem, { mode: 0o600 });
    await run(openssl, [
      'req', '-x509', '-new', '-key', keyFile, '-sha256', '-days', '1825', '-set_serial', `0x${serial}`,
      '-subj', '/C=CN/O=ParkPay WeChat Pay sandbox/OU=Tenpay.com CA Center (sandbox)/CN=Tenpay.com Root CA (sandbox)',
      '-out', certFile,
    ]);
    const certificatePem = await readFile(certFile, 'utf8');
    const cert = new crypto.X509Certificate(certificatePem);
    if (cert.serialNumber.toUpperCase() !== serial) throw new SandboxSetupError(`openssl gave serial ${cert.serialNumber}, expected ${serial}`);
    return {
      serial,
      privateKey: k.privateKey,
      publicKeyPem: k.publicKeyPem,
      certificatePem,
      notBefore: Date.parse(cert.validFrom),
      notAfter: Date.parse(cert.validTo),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

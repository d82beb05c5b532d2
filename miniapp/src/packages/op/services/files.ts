/**
 * Files behind the operator's token (a lane's QR PNG, its poster PDF, CSV exports): an <Image src> or a
 * plain link cannot send `Authorization`, so the bytes are fetched with the token and then shown (a data
 * URL) or handed on (H5: a download; WeChat/Alipay: downloadFile with the header, then openDocument).
 */
import Taro from '@tarojs/taro';
import { apiErrorOf } from '@shared/api/contract';
import { ApiError } from '../../../services/api';
import { apiBase, platform } from '../../../services/platform';
import { clearOpSession, opSession, NOT_LOGGED_IN } from './session';

const TIMEOUT_MS = 30_000;

function token(): string {
  const s = opSession();
  if (!s) throw new ApiError(NOT_LOGGED_IN, '请先登录车场管理', 401);
  return s.token;
}

function absolute(path: string): string {
  return /^https?:\/\//.test(path) ? path : apiBase() + path;
}

/** An ArrayBuffer or a typed array, from whichever realm (Object.prototype.toString and isView see through realms). */
function isBytes(d: unknown): d is ArrayBuffer | Uint8Array {
  return Object.prototype.toString.call(d) === '[object ArrayBuffer]' || ArrayBuffer.isView(d);
}

/** UTF-8 bytes → text where the platform can (an error answer's JSON); '' otherwise. */
function textOf(bytes: ArrayBuffer | Uint8Array): string {
  try {
    if (typeof TextDecoder === 'undefined') return '';
    return new TextDecoder('utf-8').decode(bytes);
  } catch {
    return '';
  }
}

/** An error answer (JSON or bytes of JSON) as an ApiError. */
export function errorOfAnswer(status: number, data: unknown): ApiError {
  let body: unknown = data;
  if (isBytes(data)) body = textOf(data);
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // not JSON
    }
  }
  const err = apiErrorOf(body);
  if (status === 401) clearOpSession();
  if (err) return new ApiError(err.code, err.message, status, err.details);
  return new ApiError(`http_${status}`, `服务器返回了错误（HTTP ${status}）`, status);
}

/** GET a file of the operator API as bytes. */
export async function fetchBytes(path: string): Promise<ArrayBuffer> {
  const auth = token();
  let res: { statusCode: number; data: unknown };
  try {
    res = await Taro.request({
      url: absolute(path),
      method: 'GET',
      header: { authorization: `Bearer ${auth}` },
      responseType: 'arraybuffer',
      dataType: 'binary',
      timeout: TIMEOUT_MS,
    });
  } catch (e) {
    const why = (e as { errMsg?: string; message?: string })?.errMsg ?? (e as Error)?.message ?? String(e);
    throw new ApiError('network', `网络连接失败，请检查网络后重试（${why}）`);
  }
  if (res.statusCode < 200 || res.statusCode >= 300) throw errorOfAnswer(res.statusCode, res.data);
  const d = res.data;
  if (Object.prototype.toString.call(d) === '[object ArrayBuffer]') return d as ArrayBuffer;
  if (ArrayBuffer.isView(d)) return d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength) as ArrayBuffer;
  throw new ApiError('bad_response', '服务器的应答不是文件');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Bytes → base64, here rather than Taro.arrayBufferToBase64: Taro's H5 version hands the ArrayBuffer to a
 * function that reads a Uint8Array and answers '' (4.2.0), and the platforms differ in what they take.
 */
export function base64(bytes: ArrayBuffer | Uint8Array): string {
  const u = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (let i = 0; i < u.length; i += 3) {
    const a = u[i]!;
    const b = i + 1 < u.length ? u[i + 1]! : 0;
    const c = i + 2 < u.length ? u[i + 2]! : 0;
    const n = (a << 16) | (b << 8) | c;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]! + (i + 1 < u.length ? B64[(n >> 6) & 63]! : '=') + (i + 2 < u.length ? B64[n & 63]! : '=');
  }
  return out;
}

/** A PNG of the operator API as a data URL an <Image> shows on every platform. */
export async function pngDataUrl(path: string): Promise<string> {
  return `data:image/png;base64,${base64(await fetchBytes(path))}`;
}

/** What the browser needs to save a file; a seam for tests. */
export const browserFiles = {
  save(bytes: ArrayBuffer, fileName: string, mime: string): void {
    const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
    const a = document.createElement('a');
    a.href = url;
    a.download = fileName;
    a.rel = 'noopener';
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  },
};

export type FileKind = 'pdf' | 'csv';
const MIME: Record<FileKind, string> = { pdf: 'application/pdf', csv: 'text/csv' };

/**
 * Get a file of the operator API to the operator: H5 saves it (the browser's download), WeChat/Alipay
 * download it with the token and open it (a PDF in the document viewer; a CSV is offered to send on in
 * WeChat, which has no viewer for it).
 */
export async function openFile(path: string, fileName: string, kind: FileKind): Promise<void> {
  if (platform() === 'h5') {
    browserFiles.save(await fetchBytes(path), fileName, MIME[kind]);
    return;
  }
  const auth = token();
  let r: { statusCode: number; tempFilePath: string };
  try {
    r = (await Taro.downloadFile({ url: absolute(path), header: { authorization: `Bearer ${auth}` } })) as { statusCode: number; tempFilePath: string };
  } catch (e) {
    const why = (e as { errMsg?: string })?.errMsg ?? String(e);
    throw new ApiError('network', `下载失败（${why}）`);
  }
  if (r.statusCode < 200 || r.statusCode >= 300) throw errorOfAnswer(r.statusCode, undefined);
  if (kind === 'pdf') {
    await Taro.openDocument({ filePath: r.tempFilePath, fileType: 'pdf', showMenu: true } as Parameters<typeof Taro.openDocument>[0]);
    return;
  }
  if (platform() === 'weapp' && typeof Taro.shareFileMessage === 'function') {
    await Taro.shareFileMessage({ filePath: r.tempFilePath, fileName });
    return;
  }
  throw new ApiError('unsupported', '请在电脑浏览器中打开车场管理下载 CSV');
}

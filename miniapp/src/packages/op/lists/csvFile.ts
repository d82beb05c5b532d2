/**
 * Picking a CSV file to import: H5 opens the browser's file chooser; WeChat picks a file from a chat
 * (chooseMessageFile) and reads it. Spreadsheet programs in China often save CSV in GBK: bytes that are not
 * UTF-8 are read as GB18030 where the platform can. Elsewhere (Alipay) the CSV is pasted into the page.
 */
import Taro from '@tarojs/taro';
import { platform } from '../../../services/platform';

/** CSV bytes → text: UTF-8 (a BOM dropped) or, when they are not UTF-8, GB18030. */
export function decodeCsv(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(u8).replace(/^\uFEFF/, '');
  } catch {
    try {
      return new TextDecoder('gb18030').decode(u8);
    } catch {
      return new TextDecoder('utf-8').decode(u8).replace(/^\uFEFF/, '');
    }
  }
}

export function canPickFile(): boolean {
  const p = platform();
  return p === 'h5' || (p === 'weapp' && typeof Taro.chooseMessageFile === 'function');
}

/** A seam for tests: the browser's file chooser. */
export const browserPicker = {
  pick(accept: string): Promise<File | undefined> {
    return new Promise((resolve) => {
      const input = document.createElement('input');
      input.type = 'file';
      input.accept = accept;
      input.style.display = 'none';
      input.addEventListener('change', () => {
        resolve(input.files?.[0] ?? undefined);
        input.remove();
      });
      document.body.appendChild(input);
      input.click();
    });
  },
};

/** The chosen file's name and text, or undefined when the operator chose nothing. */
export async function pickCsv(): Promise<{ name: string; text: string } | undefined> {
  if (platform() === 'h5') {
    const file = await browserPicker.pick('.csv,text/csv,text/plain');
    if (!file) return undefined;
    return { name: file.name, text: decodeCsv(await file.arrayBuffer()) };
  }
  const r = await Taro.chooseMessageFile({ count: 1, type: 'file', extension: ['csv', 'txt'] });
  const f = r.tempFiles[0];
  if (!f) return undefined;
  // Mini-program JS engines may lack TextDecoder: the file system reads UTF-8 itself (GBK files: save as UTF-8).
  if (typeof TextDecoder === 'undefined') {
    return { name: f.name, text: String(Taro.getFileSystemManager().readFileSync(f.path, 'utf8')).replace(/^\uFEFF/, '') };
  }
  return { name: f.name, text: decodeCsv(Taro.getFileSystemManager().readFileSync(f.path) as ArrayBuffer) };
}

/**
 * A receipt shared as an image: drawn on an offscreen canvas (the same drawing on every platform), then
 * WeChat's share sheet for images (showShareImageMenu: send to a chat, save, favourite), Alipay's save to the
 * album, and in a browser a PNG download. The drawing is a pure function of the lines (drawReceipt), so what
 * the image says is what the receipt page says.
 */
import { Button } from '@tarojs/components';
import Taro from '@tarojs/taro';
import { useState } from 'react';
import { platform } from '../services/platform';

export interface ReceiptImageData {
  /** The park, large at the top. */
  title: string;
  /** The amount paid, large. */
  amount: string;
  /** Label and value, in order (plate, times, channel, numbers, refund…). */
  lines: [string, string][];
  /** A note at the bottom (where it came from). */
  footer: string;
}

/** The 2D drawing calls used (a CanvasRenderingContext2D, or a mini-program canvas's). */
export interface Ctx2D {
  fillStyle: unknown;
  font: string;
  textAlign: string;
  textBaseline: string;
  fillRect(x: number, y: number, w: number, h: number): void;
  fillText(text: string, x: number, y: number, maxWidth?: number): void;
  measureText(text: string): { width: number };
}

export const IMAGE_WIDTH = 750;
const PAD = 48;
const LINE = 64;

/** The image's height for these lines. */
export function receiptHeight(d: ReceiptImageData): number {
  return 300 + d.lines.length * LINE + 120;
}

/** Wrap a value that does not fit its column onto a second line (numbers are long: copy them from the image). */
function fit(ctx: Ctx2D, text: string, width: number): string[] {
  if (ctx.measureText(text).width <= width) return [text];
  const chars = Array.from(text);
  let cut = chars.length;
  while (cut > 1 && ctx.measureText(chars.slice(0, cut).join('')).width > width) cut--;
  return [chars.slice(0, cut).join(''), chars.slice(cut).join('')];
}

export function drawReceipt(ctx: Ctx2D, d: ReceiptImageData): void {
  const h = receiptHeight(d);
  ctx.fillStyle = '#f5f6f8';
  ctx.fillRect(0, 0, IMAGE_WIDTH, h);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(24, 24, IMAGE_WIDTH - 48, h - 48);
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.fillStyle = '#0b5fff';
  ctx.font = 'bold 30px sans-serif';
  ctx.fillText('停车缴费凭证', PAD, 80);
  ctx.fillStyle = '#1f2329';
  ctx.font = 'bold 40px sans-serif';
  ctx.fillText(d.title, PAD, 140, IMAGE_WIDTH - 2 * PAD);
  ctx.font = 'bold 64px sans-serif';
  ctx.fillText(d.amount, PAD, 220);
  ctx.fillStyle = '#eceef2';
  ctx.fillRect(PAD, 270, IMAGE_WIDTH - 2 * PAD, 2);
  let y = 300 + LINE / 2;
  for (const [label, value] of d.lines) {
    ctx.font = '26px sans-serif';
    ctx.fillStyle = '#5c6270';
    ctx.textAlign = 'left';
    ctx.fillText(label, PAD, y);
    ctx.fillStyle = '#1f2329';
    ctx.textAlign = 'right';
    const parts = fit(ctx, value, IMAGE_WIDTH - 2 * PAD - 200);
    if (parts.length === 1) ctx.fillText(value, IMAGE_WIDTH - PAD, y);
    else {
      ctx.font = '22px sans-serif';
      ctx.fillText(parts[0]!, IMAGE_WIDTH - PAD, y - 14);
      ctx.fillText(parts[1]!, IMAGE_WIDTH - PAD, y + 14);
    }
    y += LINE;
  }
  ctx.textAlign = 'left';
  ctx.font = '22px sans-serif';
  ctx.fillStyle = '#8a8f99';
  ctx.fillText(d.footer, PAD, h - 72, IMAGE_WIDTH - 2 * PAD);
}

/** Draw it and hand it to the platform: WeChat's image share sheet, Alipay's album, a browser download. */
export async function shareReceiptImage(d: ReceiptImageData, fileName = 'receipt.png'): Promise<void> {
  const height = receiptHeight(d);
  if (platform() === 'h5') {
    const canvas = document.createElement('canvas');
    canvas.width = IMAGE_WIDTH;
    canvas.height = height;
    drawReceipt(canvas.getContext('2d') as unknown as Ctx2D, d);
    const a = document.createElement('a');
    a.href = canvas.toDataURL('image/png');
    a.download = fileName;
    a.click();
    return;
  }
  const canvas = Taro.createOffscreenCanvas({ type: '2d', width: IMAGE_WIDTH, height }) as unknown as { getContext(t: '2d'): Ctx2D };
  drawReceipt(canvas.getContext('2d'), d);
  const { tempFilePath } = await Taro.canvasToTempFilePath({ canvas: canvas as never, fileType: 'png' } as never);
  if (platform() === 'weapp') await Taro.showShareImageMenu({ path: tempFilePath });
  else await Taro.saveImageToPhotosAlbum({ filePath: tempFilePath });
}

export function ShareReceiptButton({ data, fileName }: { data: ReceiptImageData; fileName?: string }) {
  const [busy, setBusy] = useState(false);
  const share = async () => {
    setBusy(true);
    try {
      await shareReceiptImage(data, fileName);
    } catch {
      void Taro.showToast({ title: '图片生成失败，请重试', icon: 'none' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button className="btn btn-secondary receipt-share" disabled={busy} onClick={() => void share()}>
      {busy ? '正在生成图片…' : '分享凭证图片'}
    </Button>
  );
}

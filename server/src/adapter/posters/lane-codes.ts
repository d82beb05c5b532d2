/**
 * Lane QR codes as PNG and SVG (qrcode) and the printable A4 poster of a lane (pdfkit): park and lane
 * name, direction, the QR code drawn as vector squares (sharp at any print size), what drivers do, and the
 * park's tariff and service information when its operators gave it (收费标准, free minutes, the time to
 * leave after paying, the service phone), in Chinese. The poster needs a CJK font: WenQuanYi Zen Hei (Debian fonts-wqy-zenhei) or Noto Sans CJK, or
 * the file PARKPAY_POSTER_FONT names; without one it throws PosterFontMissing (the operator is told poster_font_missing)
 * rather than printed with empty boxes.
 */
import { existsSync, readFileSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { PosterFontMissing, type LaneCodeRenderer, type LanePoster } from '../../core/operators/parks';

export interface PosterFont {
  path: string;
  /** The PostScript name of the face inside a collection (.ttc); undefined for a single font file. */
  face?: string;
}

/** Where CJK fonts are on Debian (fonts-wqy-zenhei first: .ci/run installs it). */
export const CJK_FONT_CANDIDATES: PosterFont[] = [
  { path: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', face: 'WenQuanYiZenHei' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', face: 'NotoSansCJKsc-Regular' },
  { path: '/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf' },
];

/** The first installed font of the list (the env's PARKPAY_POSTER_FONT first), or undefined. */
export function findCjkFont(env: NodeJS.ProcessEnv = process.env, candidates = CJK_FONT_CANDIDATES): PosterFont | undefined {
  const own = env.PARKPAY_POSTER_FONT;
  if (own) {
    const [path, face] = own.split('#');
    return existsSync(path!) ? { path: path!, ...(face ? { face } : {}) } : undefined;
  }
  return candidates.find((c) => existsSync(c.path));
}

const QR_OPTIONS = { errorCorrectionLevel: 'M' as const, margin: 4 };

export const POSTER_TEXT = {
  in: {
    badge: '入口',
    steps: ['请使用微信或支付宝“扫一扫”扫描上方二维码', '无牌车：扫码登记，获取临时车牌后道闸自动抬起', '有牌车：识别车牌后自动入场，无需扫码'],
  },
  out: {
    badge: '出口',
    steps: ['请使用微信或支付宝“扫一扫”扫描上方二维码', '扫码查看本次停车费用并在线支付', '支付成功后道闸自动抬起，请在规定时间内离场'],
  },
  unknown: {
    badge: '扫码停车',
    steps: ['请使用微信或支付宝“扫一扫”扫描上方二维码', '入场：无牌车扫码登记，获取临时车牌', '出场：扫码查看并支付停车费，支付后道闸自动抬起'],
  },
} as const;

/** The poster's tariff box: the tariff text and one line each for what else the park said. */
export function serviceLines(s: LanePoster['service'] | undefined): { tariff: string | null; lines: string[] } {
  const lines: string[] = [];
  if (s?.freeMinutes != null) lines.push(s.freeMinutes > 0 ? `入场 ${s.freeMinutes} 分钟内免费` : '入场即开始计费，没有免费时间');
  if (s?.paidFreeMinutes != null) lines.push(s.paidFreeMinutes > 0 ? `缴费后请在 ${s.paidFreeMinutes} 分钟内离场，超时需补缴` : '缴费后请立即离场');
  if (s?.phone) lines.push(`服务电话：${s.phone}`);
  return { tariff: s?.tariffText || null, lines };
}

export class LaneCodeDrawer implements LaneCodeRenderer {
  private fontData?: Buffer;

  constructor(private readonly font: PosterFont | undefined = findCjkFont()) {}

  async png(link: string, opts: { size?: number } = {}): Promise<Buffer> {
    return QRCode.toBuffer(link, { ...QR_OPTIONS, type: 'png', width: opts.size ?? 512 });
  }

  async svg(link: string): Promise<string> {
    return QRCode.toString(link, { ...QR_OPTIONS, type: 'svg' });
  }

  private fontBuffer(): Buffer {
    if (!this.font || !existsSync(this.font.path)) {
      throw new PosterFontMissing(
        'no CJK font is installed for the poster: install fonts-wqy-zenhei (/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc) or set PARKPAY_POSTER_FONT',
      );
    }
    return (this.fontData ??= readFileSync(this.font.path));
  }

  async poster(p: LanePoster): Promise<Buffer> {
    const font = this.fontBuffer();
    const text = POSTER_TEXT[p.direction ?? 'unknown'];
    const doc = new PDFDocument({
      size: 'A4',
      margin: 0,
      info: { Title: `${p.parkName} ${p.laneName} 扫码停车`, Author: 'ParkPay', Subject: p.link },
    });
    const chunks: Buffer[] = [];
    const done = new Promise<Buffer>((resolve, reject) => {
      doc.on('data', (c: Buffer) => chunks.push(c));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);
    });
    doc.registerFont('cjk', font, this.font!.face);
    doc.font('cjk');

    const W = doc.page.width; // 595.28 pt
    const H = doc.page.height; // 841.89 pt
    const accent = p.direction === 'out' ? '#c0392b' : p.direction === 'in' ? '#1e7b3c' : '#1f4e9c';

    // Header band: the park.
    doc.rect(0, 0, W, 120).fill(accent);
    doc.fillColor('#ffffff').fontSize(34).text(p.parkName, 40, 34, { width: W - 80, align: 'center', lineBreak: false, ellipsis: true });
    doc.fontSize(14).text(`车场编号 ${p.parkNumber}`, 40, 84, { width: W - 80, align: 'center' });

    // The lane and its direction.
    doc.fillColor(accent).fontSize(30).text(`${text.badge} · ${p.laneName}`, 40, 150, { width: W - 80, align: 'center', lineBreak: false, ellipsis: true });

    // The QR code, as squares (smaller when the tariff box needs the room).
    const service = serviceLines(p.service);
    const qr = QRCode.create(p.link, { errorCorrectionLevel: 'M' });
    const n = qr.modules.size;
    const quiet = 4;
    const side = service.tariff ? 250 : service.lines.length ? 290 : 330;
    const cell = side / (n + 2 * quiet);
    const x0 = (W - side) / 2;
    const y0 = 210;
    doc.rect(x0, y0, side, side).fill('#ffffff');
    doc.fillColor('#000000');
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        if (qr.modules.get(r, c)) doc.rect(x0 + (c + quiet) * cell, y0 + (r + quiet) * cell, cell + 0.02, cell + 0.02);
      }
    }
    doc.fill('#000000');
    doc.lineWidth(3).strokeColor(accent).rect(x0 - 6, y0 - 6, side + 12, side + 12).stroke();

    // What to do.
    let y = y0 + side + 40;
    doc.fillColor('#222222');
    text.steps.forEach((s, i) => {
      doc.fontSize(i === 0 ? 20 : 17).text(i === 0 ? s : `${i}. ${s}`, 60, y, { width: W - 120, align: i === 0 ? 'center' : 'left' });
      y = doc.y + 12;
    });

    // The tariff and service box, down to the footer: what does not fit is cut with an ellipsis.
    const bottom = H - 64;
    if ((service.tariff || service.lines.length) && bottom - y > 60) {
      const top = y + 4;
      doc.lineWidth(1).strokeColor('#cccccc').roundedRect(48, top, W - 96, bottom - top, 8).stroke();
      let ty = top + 12;
      if (service.tariff) {
        doc.fillColor(accent).fontSize(15).text('收费标准', 64, ty, { width: W - 128 });
        ty = doc.y + 4;
        const room = bottom - ty - 12 - service.lines.length * 19;
        if (room > 14) {
          doc.fillColor('#222222').fontSize(12);
          // Cut to what fits (pdfkit's own ellipsis gives up after one line of CJK text).
          let t = service.tariff;
          while (t.length > 1 && doc.heightOfString(t, { width: W - 128 }) > room) t = `${t.slice(0, Math.floor(t.length * 0.9) - 1)}…`;
          doc.text(t, 64, ty, { width: W - 128 });
          ty = doc.y + 6;
        }
      }
      doc.fillColor('#222222').fontSize(13);
      for (const line of service.lines) {
        if (ty + 16 > bottom - 6) break;
        doc.text(line, 64, ty, { width: W - 128, lineBreak: false, ellipsis: true });
        ty = doc.y + 4;
      }
    }

    // Footer: where the code leads, for staff.
    doc.fillColor('#777777').fontSize(10).text(`通道 ${p.passagewayId}  ·  ${p.link}`, 40, H - 50, { width: W - 80, align: 'center', lineBreak: false, ellipsis: true });
    doc.end();
    return done;
  }
}

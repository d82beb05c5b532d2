import { drawReceipt, IMAGE_WIDTH, receiptHeight, type Ctx2D, type ReceiptImageData } from '../../../miniapp/src/components/ShareImage';

/** A canvas that records what is written where; each character 20 px wide. */
function recorder() {
  const texts: { text: string; x: number; y: number; align: string }[] = [];
  const rects: number[][] = [];
  const ctx: Ctx2D = {
    fillStyle: '',
    font: '',
    textAlign: 'left',
    textBaseline: 'alphabetic',
    fillRect: (...r) => void rects.push(r),
    fillText(text, x, y) {
      texts.push({ text, x, y, align: this.textAlign });
    },
    measureText: (t) => ({ width: Array.from(t).length * 20 }),
  };
  return { ctx, texts, rects };
}

const data: ReceiptImageData = {
  title: '示例停车场',
  amount: '¥4.00',
  lines: [
    ['车牌', '京A12345'],
    ['入场时间', '2026-11-28 09:05'],
    ['微信支付交易号', '4200001234202611281234567890123456'],
  ],
  footer: 'ParkPay · 订单号 PP2611281000ABCDEFGH',
};

describe('a receipt as an image', () => {
  it('writes the park, the amount, every line (label left, value right) and the footer, within the image', () => {
    const { ctx, texts, rects } = recorder();
    drawReceipt(ctx, data);
    const all = texts.map((t) => t.text);
    expect(all).toEqual(expect.arrayContaining(['停车缴费凭证', '示例停车场', '¥4.00', '车牌', '京A12345', '入场时间', '2026-11-28 09:05', data.footer]));
    const plate = texts.find((t) => t.text === '京A12345')!;
    expect(plate).toMatchObject({ x: IMAGE_WIDTH - 48, align: 'right' });
    expect(texts.find((t) => t.text === '车牌')).toMatchObject({ align: 'left' });
    for (const t of texts) expect(t.y).toBeLessThan(receiptHeight(data));
    expect(rects[0]).toEqual([0, 0, IMAGE_WIDTH, receiptHeight(data)]);
  });

  it('a number too long for its column is wrapped onto two lines, nothing lost', () => {
    const { ctx, texts } = recorder();
    drawReceipt(ctx, data);
    const label = texts.find((t) => t.text === '微信支付交易号')!;
    const parts = texts.filter((t) => t.align === 'right' && Math.abs(t.y - label.y) <= 14 && t.text !== '微信支付交易号');
    expect(parts).toHaveLength(2);
    expect(parts.map((p) => p.text).join('')).toBe('4200001234202611281234567890123456');
  });
});

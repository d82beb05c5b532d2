/**
 * A receipt's lines as data: what the receipt page shows and the shared image draws, so the two always say
 * the same.
 */
import type { ReceiptView } from '@shared/api/history';
import type { ReceiptImageData } from '../components/ShareImage';
import { letInText } from './bookingText';
import { dateTime, duration, lotTime, yuan } from './format';
import { CHANNEL_TEXT, KIND_TEXT, PAYMENT_STATUS_TEXT, paymentRefundReason, refundStateText } from './paymentText';

/** One line of a receipt; `no`: a number the driver may need to quote (a tap copies it). */
export interface ReceiptLine {
  label: string;
  value: string;
  no?: boolean;
  strong?: boolean;
}

export interface ReceiptSection {
  key: string;
  title: string;
  lines: ReceiptLine[];
}

/** The receipt's sections, in order: what the page shows and the image draws. */
export function receiptSections(r: ReceiptView): ReceiptSection[] {
  const out: ReceiptSection[] = [];
  const stay: ReceiptLine[] = [
    { label: '停车场', value: r.parkName },
    { label: '车牌', value: r.plate },
  ];
  if (r.booking) {
    stay.push({ label: '预约', value: r.booking.title }, { label: '入场时间段', value: letInText(r.booking) });
  } else if (r.kind === 'pass') {
    // A monthly pass pays for no stay: the plate and the park say what it is for.
  } else {
    stay.push({ label: '入场时间', value: r.inTime ? lotTime(r.inTime) : '—' }, { label: '出场时间', value: r.outTime ? lotTime(r.outTime) : '尚未出场' });
  }
  if (r.stopMinutes !== null) stay.push({ label: '停车时长', value: duration(r.stopMinutes) });
  out.push({ key: 'stay', title: r.kind === 'booking' ? '预约' : r.kind === 'pass' ? '月卡' : '停车', lines: stay });

  const pay: ReceiptLine[] = [];
  if (r.chargeFen !== null) pay.push({ label: '停车费', value: yuan(r.chargeFen) });
  if (r.paidBeforeFen) pay.push({ label: '此前已付', value: yuan(r.paidBeforeFen) });
  if (r.discountFen) pay.push({ label: '优惠', value: `-${yuan(r.discountFen)}` });
  pay.push(
    { label: '实付金额', value: yuan(r.amountFen), strong: true },
    { label: '支付方式', value: `${r.channel ? CHANNEL_TEXT[r.channel] : '—'}${r.kind === 'deduction' ? '（无感支付）' : ''}` },
    { label: '支付时间', value: r.paidAt ? dateTime(r.paidAt) : '—' },
    { label: '订单号', value: r.ref, no: true },
    { label: '交易单号', value: r.transactionId ?? '—', no: r.transactionId !== null },
  );
  out.push({ key: 'payment', title: '支付', lines: pay });

  if (r.refund) {
    const refund: ReceiptLine[] = [
      { label: '退款金额', value: yuan(r.refund.fen) },
      { label: '退款状态', value: refundStateText(r.refund.state) },
      { label: '退款原因', value: paymentRefundReason(r) },
    ];
    if (r.refund.refundedAt) refund.push({ label: '退款时间', value: dateTime(r.refund.refundedAt) });
    if (r.refundNo) refund.push({ label: '退款单号', value: r.refundNo, no: true });
    out.push({ key: 'refund', title: '退款', lines: refund });
  }
  return out;
}

/** The receipt as the shared image draws it: the same lines, the park on top, the amount large. */
export function receiptImage(r: ReceiptView): ReceiptImageData {
  const lines = receiptSections(r)
    .flatMap((s) => s.lines)
    .filter((l) => l.label !== '停车场' && l.label !== '实付金额')
    .map((l): [string, string] => [l.label, l.value]);
  return {
    title: r.parkName,
    amount: yuan(r.amountFen),
    lines,
    footer: `${KIND_TEXT[r.kind]} · ${PAYMENT_STATUS_TEXT[r.status]} · ParkPay 缴费凭证`,
  };
}

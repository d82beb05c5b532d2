/**
 * Alipay's Price type: yuan as a decimal string with at most two decimals ("12", "12.1", "12.00").
 * Inside ParkPay money is integer fen. These two functions are the adapter's only doors between the two;
 * they are stricter than shared/money on purpose (no spaces, no numbers, no leading zeros): what we read
 * here came out of a signed Alipay message and must be taken exactly or refused.
 */

export class AlipayAmountError extends Error {
  constructor(
    readonly input: unknown,
    reason: string,
  ) {
    super(`invalid Alipay amount ${JSON.stringify(input)}: ${reason}`);
    this.name = 'AlipayAmountError';
  }
}

const PRICE = /^(0|[1-9]\d{0,11})(?:\.(\d{1,2}))?$/;

/** "12.00" → 1200, "12.1" → 1210, "0.05" → 5. Rejects "12.001", "1e3", " 12", "-1", "012", numbers. */
export function alipayYuanToFen(input: unknown): number {
  if (typeof input !== 'string') throw new AlipayAmountError(input, 'not a string');
  const m = PRICE.exec(input);
  if (!m) {
    throw new AlipayAmountError(input, /^\d+\.\d{3,}$/.test(input) ? 'more than 2 decimals' : 'not a yuan amount');
  }
  const fen = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(fen)) throw new AlipayAmountError(input, 'too large');
  return fen;
}

/** 1200 → "12.00": what we send (Alipay's total_amount / refund_amount, 0.01–100000000.00). */
export function fenToAlipayYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new AlipayAmountError(fen, 'fen must be a non-negative integer');
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

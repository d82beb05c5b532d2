/**
 * Money is integer fen inside ParkPay; Bluecard speaks yuan strings ("12", "0.05", "12.00").
 * These are the only two doors between the two.
 */

export class MoneyFormatError extends Error {
  constructor(readonly input: unknown, reason: string) {
    super(`invalid yuan amount ${JSON.stringify(input)}: ${reason}`);
    this.name = 'MoneyFormatError';
  }
}

const YUAN = /^(\d+)(?:\.(\d{0,2}))?$/;

/**
 * Parse a yuan amount as Bluecard sends it (string or number, stray spaces allowed) into fen.
 * Rejects NaN, negatives, exponents and more than two decimals: "2.0 " → 200, "0.05" → 5, 12 → 1200.
 */
export function yuanToFen(input: string | number): number {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new MoneyFormatError(input, 'not a finite number');
    // Numbers arrive from JSON; render with enough digits to spot a third decimal.
    text = String(input);
  } else if (typeof input === 'string') {
    text = input.trim();
  } else {
    throw new MoneyFormatError(input, 'not a string or number');
  }
  if (text.startsWith('-')) throw new MoneyFormatError(input, 'negative');
  const m = YUAN.exec(text);
  if (!m) {
    throw new MoneyFormatError(input, /\.\d{3,}$/.test(text) ? 'more than 2 decimals' : 'not a decimal yuan amount');
  }
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? '').padEnd(2, '0'));
  const fen = whole * 100 + frac;
  if (!Number.isSafeInteger(fen)) throw new MoneyFormatError(input, 'too large');
  return fen;
}

/** Integer fen → the exact yuan string we send: always two decimals ("12.00", "0.05"). */
export function fenToYuan(fen: number): string {
  if (!Number.isSafeInteger(fen) || fen < 0) throw new MoneyFormatError(fen, 'fen must be a non-negative integer');
  const whole = Math.floor(fen / 100);
  const frac = fen % 100;
  return `${whole}.${frac.toString().padStart(2, '0')}`;
}

/** True when the input is a yuan amount yuanToFen accepts. */
export function isYuan(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    yuanToFen(input);
    return true;
  } catch {
    return false;
  }
}

import { MoneyFormatError, fenToYuan, isYuan, yuanToFen } from '../../shared/money';

describe('yuanToFen', () => {
  it.each([
    ['12', 1200],
    ['0.05', 5],
    ['2.0 ', 200],
    [' 12.00', 1200],
    ['0', 0],
    ['0.5', 50],
    ['8643', 864300],
    [12.5, 1250],
    [12, 1200],
    [0.05, 5],
    [0, 0],
  ] as [string | number, number][])('%p → %p fen', (input, fen) => {
    expect(yuanToFen(input)).toBe(fen);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, '-1', -1, '1.234', 1.234, '1e3', '', '  ', 'abc', '12,00', '+5', '.5', '0x10', '１２'])(
    'rejects %p',
    (input) => {
      expect(() => yuanToFen(input)).toThrow(MoneyFormatError);
    },
  );

  it('says why', () => {
    expect(() => yuanToFen('-1')).toThrow(/negative/);
    expect(() => yuanToFen('1.234')).toThrow(/more than 2 decimals/);
    expect(() => yuanToFen('abc')).toThrow(/"abc"/);
    expect(() => yuanToFen('99999999999999999999')).toThrow(/too large/);
  });

  it('rejects what is neither string nor number', () => {
    expect(() => yuanToFen(null as unknown as string)).toThrow(MoneyFormatError);
    expect(() => yuanToFen({} as unknown as string)).toThrow(MoneyFormatError);
  });
});

describe('fenToYuan', () => {
  it.each([
    [5, '0.05'],
    [0, '0.00'],
    [1200, '12.00'],
    [1250, '12.50'],
    [864300, '8643.00'],
  ])('%p fen → %p', (fen, yuan) => {
    expect(fenToYuan(fen)).toBe(yuan);
  });

  it('round-trips', () => {
    for (const fen of [0, 1, 9, 10, 99, 100, 101, 123456789]) expect(yuanToFen(fenToYuan(fen))).toBe(fen);
  });

  it.each([-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2])('rejects %p', (fen) => {
    expect(() => fenToYuan(fen)).toThrow(MoneyFormatError);
  });
});

describe('isYuan', () => {
  it('mirrors yuanToFen', () => {
    expect(['12', '0.05', '2.0 ', 12.5].every(isYuan)).toBe(true);
    expect(['abc', '-1', '1.234', '1e3', '', null, undefined, {}].some(isYuan)).toBe(false);
  });
});

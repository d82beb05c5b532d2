/**
 * The one status table and the two money doors of the Alipay adapter.
 */
import {
  AlipayAmountError,
  alipayYuanToFen,
  businessSignal,
  fenToAlipayYuan,
  mapAlipaySignal,
} from '../../../../server/src/adapter/alipay';

describe('mapAlipaySignal: Alipay words → ours', () => {
  it.each([
    ['WAIT_BUYER_PAY', {}, 'pending'],
    ['TRADE_SUCCESS', {}, 'paid'],
    ['TRADE_FINISHED', {}, 'paid'],
    ['TRADE_CLOSED', {}, 'closed'],
    ['TRADE_CLOSED', { paidBefore: true }, 'refunded'],
    ['REFUND_SUCCESS', {}, 'refunded'],
  ])('%s %j → %s', (signal, ctx, status) => {
    expect(mapAlipaySignal(signal, ctx)).toEqual({ kind: 'status', status });
  });

  it.each([
    ['ACQ.TRADE_HAS_SUCCESS', false, 'paid'],
    ['ACQ.TRADE_HAS_CLOSE', false, 'closed'],
    ['ACQ.BUYER_ENABLE_STATUS_FORBID', false, 'failed'],
    ['ACQ.TRADE_NOT_EXIST', false, undefined],
    ['ACQ.TRADE_STATUS_ERROR', false, undefined],
    ['ACQ.DISCORDANT_REPEAT_REQUEST', false, undefined],
    ['isv.invalid-signature', false, undefined],
    ['isv.code-invalid', false, undefined],
    ['ACQ.SYSTEM_ERROR', true, undefined],
    ['isp.unknow-error', true, undefined],
    ['20000', true, undefined],
    ['40004', false, undefined],
    ['SOMETHING.NEW', false, undefined],
  ])('%s → error, retryable %s, status %s', (signal, retryable, status) => {
    const v = mapAlipaySignal(signal);
    expect(v.kind).toBe('error');
    expect(v.kind === 'error' && v.retryable).toBe(retryable);
    expect(v.kind === 'error' ? v.status : 'x').toBe(status);
  });

  it('businessSignal: a known sub_code wins, an unknown one falls back to the code', () => {
    expect(businessSignal('40004', 'ACQ.TRADE_NOT_EXIST')).toBe('ACQ.TRADE_NOT_EXIST');
    expect(businessSignal('20000', 'isp.brand-new')).toBe('20000');
    expect(businessSignal('40004', undefined)).toBe('40004');
  });
});

describe('fen ⇄ yuan at the Alipay edge', () => {
  it('reads Price strings exactly', () => {
    expect(alipayYuanToFen('12.00')).toBe(1200);
    expect(alipayYuanToFen('12.1')).toBe(1210);
    expect(alipayYuanToFen('12')).toBe(1200);
    expect(alipayYuanToFen('0.01')).toBe(1);
    expect(alipayYuanToFen('0.1')).toBe(10);
    expect(alipayYuanToFen('100000000.00')).toBe(10_000_000_000);
    // 0.1 + 0.2 style float traps do not exist here.
    expect(alipayYuanToFen('0.29')).toBe(29);
    expect(alipayYuanToFen('1.15')).toBe(115);
  });
  it.each(['12.001', '1e3', ' 12', '12 ', '-1', '+1', '012', '12.', '.5', '', '1,000.00', 'NaN', 'Infinity'])('refuses %j', (bad) => {
    expect(() => alipayYuanToFen(bad)).toThrow(AlipayAmountError);
  });
  it('refuses numbers: amounts come as strings', () => {
    expect(() => alipayYuanToFen(12 as unknown as string)).toThrow(AlipayAmountError);
  });
  it('writes exactly two decimals', () => {
    expect([0, 1, 10, 115, 1200, 1210, 10_000_000_000].map(fenToAlipayYuan)).toEqual(['0.00', '0.01', '0.10', '1.15', '12.00', '12.10', '100000000.00']);
    for (const bad of [-1, 1.5, NaN, Number.MAX_SAFE_INTEGER + 2]) expect(() => fenToAlipayYuan(bad)).toThrow(AlipayAmountError);
  });
});

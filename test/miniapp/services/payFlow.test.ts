import { ApiError } from '../../../miniapp/src/services/api';
import { alipayOutcome, runPayment, wechatOutcome, type PayDeps, type PayState, type WalletOutcome } from '../../../miniapp/src/services/payFlow';
import { order, wechatPay } from '../support/orders';

/** Deps whose wallet answers and order polls come from scripts; time moves only when the flow sleeps. */
function world(opts: { wallet: WalletOutcome[]; polls: (ReturnType<typeof order> | Error)[]; startError?: Error }) {
  let now = 0;
  const wallet = [...opts.wallet];
  const polls = [...opts.polls];
  const deps: PayDeps = {
    startPay: jest.fn(async () => {
      if (opts.startError) throw opts.startError;
      return { order: order('pending'), pay: wechatPay };
    }),
    walletPay: jest.fn(async (): Promise<WalletOutcome> => wallet.shift() ?? { kind: 'fail', message: 'no script' }),
    getOrder: jest.fn(async () => {
      const next = polls.length > 1 ? polls.shift()! : polls[0]!;
      if (next instanceof Error) throw next;
      return next;
    }),
    sleep: jest.fn(async (ms: number) => void (now += ms)),
    now: () => now,
    pollMs: 1000,
    pollTimeoutMs: 30_000,
  };
  const states: PayState[] = [];
  const steps = () => states.map((s) => (s.step === 'confirming' && s.order ? `confirming:${s.order.status}` : s.step));
  return { deps, states, steps, onState: (s: PayState) => states.push(s) };
}

describe('the pay flow', () => {
  it('paid in the wallet → polls until the lot has it (delivered, with leaveBy)', async () => {
    const w = world({ wallet: [{ kind: 'ok' }], polls: [order('pending'), order('paid'), order('delivered')] });
    const end = await runPayment('PP2611281000001', w.deps, w.onState);
    expect(end.step).toBe('delivered');
    expect(end.step === 'delivered' && end.order.leaveBy).toBeTruthy();
    expect(w.steps()).toEqual(['starting', 'wallet', 'confirming', 'confirming:pending', 'confirming:paid', 'confirming:delivered', 'delivered']);
    expect(w.deps.startPay).toHaveBeenCalledWith('PP2611281000001');
    expect(w.deps.walletPay).toHaveBeenCalledWith(wechatPay);
  });

  it('cancelled in the wallet → "cancelled" without polling; a retry pays the same order and reaches delivered', async () => {
    const w = world({ wallet: [{ kind: 'cancel' }, { kind: 'ok' }], polls: [order('delivered')] });
    const first = await runPayment('PP2611281000001', w.deps, w.onState);
    expect(first).toEqual({ step: 'cancelled' });
    expect(w.deps.getOrder).not.toHaveBeenCalled();
    const retry = await runPayment('PP2611281000001', w.deps, w.onState);
    expect(retry.step).toBe('delivered');
    expect(w.deps.startPay).toHaveBeenCalledTimes(2);
    expect(w.steps()).toEqual(['starting', 'wallet', 'cancelled', 'starting', 'wallet', 'confirming', 'confirming:delivered', 'delivered']);
  });

  it('a wallet that cannot say (Alipay 8000/6004) is followed by polling', async () => {
    const w = world({ wallet: [alipayOutcome('8000')], polls: [order('paid'), order('delivered')] });
    expect((await runPayment('PP2611281000001', w.deps, w.onState)).step).toBe('delivered');
  });

  it('a wallet failure → failed with its message', async () => {
    const w = world({ wallet: [{ kind: 'fail', message: 'requestPayment:fail appid mismatch' }], polls: [order('pending')] });
    expect(await runPayment('PP2611281000001', w.deps, w.onState)).toEqual({ step: 'failed', error: { code: 'wallet_failed', message: 'requestPayment:fail appid mismatch' } });
  });

  it('the server refusing to start the payment → failed with its code', async () => {
    const w = world({ wallet: [], polls: [order('closed')], startError: new ApiError('quote_expired', 'the price is out of date', 409) });
    expect(await runPayment('PP2611281000001', w.deps, w.onState)).toEqual({ step: 'failed', error: { code: 'quote_expired', message: 'the price is out of date' } });
  });

  it('already paid (a double tap, another device): follows the order instead of failing', async () => {
    const w = world({ wallet: [], polls: [order('paid'), order('delivered')], startError: new ApiError('order_not_payable', 'the order is paid', 409) });
    expect((await runPayment('PP2611281000001', w.deps, w.onState)).step).toBe('delivered');
    expect(w.deps.walletPay).not.toHaveBeenCalled();
  });

  it('a lost network while polling: keeps trying, says so', async () => {
    const w = world({ wallet: [{ kind: 'ok' }], polls: [new ApiError('network', 'offline'), order('delivered')] });
    expect((await runPayment('PP2611281000001', w.deps, w.onState)).step).toBe('delivered');
    expect(w.states).toContainEqual({ step: 'confirming', order: undefined, shaky: true });
  });

  it('a payment that could not count ends with the refund and its reason', async () => {
    const refunded = order('refunded', { refund: { reason: 'car_left: the car left at 2026-11-28 18:01:00', fen: 400, state: 'done', refundedAt: '2026-11-28T10:05:00.000Z' } });
    const w = world({ wallet: [{ kind: 'ok' }], polls: [order('paid'), refunded] });
    expect(await runPayment('PP2611281000001', w.deps, w.onState)).toEqual({ step: 'ended', order: refunded });
  });

  it('waits at most pollTimeoutMs, then says it is slow (the order number stays)', async () => {
    const w = world({ wallet: [{ kind: 'ok' }], polls: [order('pending')] });
    const end = await runPayment('PP2611281000001', w.deps, w.onState);
    expect(end.step).toBe('slow');
    expect(w.deps.getOrder).toHaveBeenCalledTimes(30);
  });
});

describe('wallet answers', () => {
  it('WeChat errMsg', () => {
    expect(wechatOutcome('requestPayment:ok')).toEqual({ kind: 'ok' });
    expect(wechatOutcome('requestPayment:fail cancel')).toEqual({ kind: 'cancel' });
    expect(wechatOutcome('requestPayment:fail (detail message)')).toEqual({ kind: 'fail', message: 'requestPayment:fail (detail message)' });
  });

  it('Alipay resultCode: 9000 ok, 6001 cancel, 8000/6004 unknown, others fail', () => {
    expect(alipayOutcome('9000')).toEqual({ kind: 'ok' });
    expect(alipayOutcome('6001')).toEqual({ kind: 'cancel' });
    expect(alipayOutcome('8000')).toEqual({ kind: 'unknown' });
    expect(alipayOutcome('6004')).toEqual({ kind: 'unknown' });
    expect(alipayOutcome('4000').kind).toBe('fail');
    expect(alipayOutcome('6002').kind).toBe('fail');
    expect(alipayOutcome(undefined).kind).toBe('fail');
  });
});

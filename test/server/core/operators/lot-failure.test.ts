/**
 * What an operator is told of a failed call to the lot: core decides it from the GatewayFailure the adapter
 * threw (here the Bluecard client's own error), whatever the adapter.
 */
import { BluecardError, type BluecardErrorKind } from '../../../../server/src/adapter/bluecard/errors';
import { GatewayFailure } from '../../../../server/src/core/gateway-failure';
import { OperatorError } from '../../../../server/src/core/operators/errors';
import { lotFailure } from '../../../../server/src/core/operators/lot-ops';

const bluecard = (kind: BluecardErrorKind, detail: string, errorCode?: string) =>
  new BluecardError({ parkNumber: 'p1', iface: '4.22 RemoteLiftRod', kind, detail, retryable: false, ...(errorCode !== undefined ? { errorCode } : {}) });

function told(e: unknown, unknownOutcome?: string): OperatorError {
  try {
    lotFailure(e, 'to lift the barrier of lane 2', unknownOutcome);
  } catch (err) {
    if (err instanceof OperatorError) return err;
    throw err;
  }
  throw new Error('lotFailure returned');
}

describe('a failed lot call, as the operator is told it', () => {
  it('a refusal says what the lot said', () => {
    const e = told(bluecard('rejected', 'rejected: 通道离线', '通道离线'));
    expect([e.code, e.message, e.details]).toEqual(['lot_refused', 'the lot refused to lift the barrier of lane 2: 通道离线', { lotSays: '通道离线' }]);
    expect(told(bluecard('rejected', 'rejected: (no reason given)', '')).details).toEqual({ lotSays: '(no reason given)' });
  });

  it('no answer, or an answer we cannot read: the outcome is said to be unknown when it matters', () => {
    for (const kind of ['timeout', 'network', 'http'] as const) {
      const e = told(bluecard(kind, 'x'), 'the barrier may or may not have opened');
      expect([e.code, e.message, e.details]).toEqual(['lot_unreachable', 'the lot did not answer to lift the barrier of lane 2: the barrier may or may not have opened', { outcomeUnknown: true }]);
    }
    expect(told(bluecard('timeout', 'x')).details).toBeUndefined();
    const bad = told(bluecard('bad_answer', 'answer is not JSON'), 'it may have opened');
    expect([bad.code, bad.details]).toEqual(['lot_bad_answer', { outcomeUnknown: true }]);
  });

  it('a request we could not put to the lot is ours to fix', () => {
    const e = told(bluecard('invalid_request', 'invalid request, not sent: passagewayId: required'));
    expect(e.code).toBe('validation_failed');
    expect(e.message).toContain('passagewayId: required');
  });

  it('decides from the GatewayFailure alone, and throws anything else as it is', () => {
    const e = told(new GatewayFailure('Some lot: refused', { failure: 'refused', retryable: false, sent: true, providerCode: 'FULL' }));
    expect([e.code, e.details]).toEqual(['lot_refused', { lotSays: 'FULL' }]);
    const bug = new TypeError('x is undefined');
    expect(() => lotFailure(bug, 'for the space status')).toThrow(bug);
    const config = new GatewayFailure('no key', { failure: 'config', retryable: false, sent: false });
    expect(() => lotFailure(config, 'for the space status')).toThrow(config);
  });
});

/**
 * Faults for the down calls, so ParkPay's client can be tested against a lot that misbehaves: the next N
 * matching calls time out (no answer; the connection is cut after `hangMs`), answer HTTP 500, answer
 * `{"status":"fail"}`, or answer broken JSON. `phase: 'after'` first does the work and then loses the
 * answer — the case that makes idempotency matter (a sendPayRes that was recorded but never confirmed).
 */

export type FaultKind = 'timeout' | 'http500' | 'fail' | 'badJson';
export const FAULT_KINDS: readonly FaultKind[] = ['timeout', 'http500', 'fail', 'badJson'];

export interface FaultSpec {
  kind: FaultKind;
  /** How many matching calls it hits. */
  count: number;
  /** Only this down interface (its path tail, e.g. "sendPayRes"); any when missing. */
  name?: string;
  parkNumber?: string;
  /** 'before' (default): the lot never sees the request. 'after': the lot processes it, the answer is lost. */
  phase?: 'before' | 'after';
  /** errorCode of a 'fail' fault. */
  errorCode?: string;
  /** timeout: real ms before the connection is cut (default 60 s; the caller's own timeout is shorter). */
  hangMs?: number;
}

export interface Fault extends Required<Pick<FaultSpec, 'kind' | 'phase'>> {
  id: number;
  remaining: number;
  name?: string;
  parkNumber?: string;
  errorCode: string;
  hangMs: number;
  hits: number;
}

/**
 * Conditions that last until changed (the demo's fault switches), besides the counted faults:
 * `offline` — the lot is cut off: down calls find no one (the connection is dropped), up calls never leave;
 * `slowMs` — every down call is answered this many real ms late.
 */
export interface LotConditions {
  offline: boolean;
  slowMs: number;
}

export class FaultInjector {
  private faults: Fault[] = [];
  private seq = 0;
  readonly conditions: LotConditions = { offline: false, slowMs: 0 };

  add(spec: FaultSpec): Fault {
    if (!FAULT_KINDS.includes(spec.kind)) throw new Error(`fault kind must be one of ${FAULT_KINDS.join(', ')}`);
    if (!Number.isInteger(spec.count) || spec.count < 1) throw new Error('fault count must be a positive integer');
    const fault: Fault = {
      id: ++this.seq,
      kind: spec.kind,
      phase: spec.phase ?? 'before',
      remaining: spec.count,
      name: spec.name,
      parkNumber: spec.parkNumber,
      errorCode: spec.errorCode ?? '系统繁忙,请稍后再试(sandbox fault)',
      hangMs: spec.hangMs ?? 60_000,
      hits: 0,
    };
    this.faults.push(fault);
    return fault;
  }

  /** Take one shot of the first fault matching this call, if any. */
  take(name: string, parkNumber: string | undefined, phase: 'before' | 'after'): Fault | undefined {
    const f = this.faults.find(
      (x) =>
        x.remaining > 0 &&
        x.phase === phase &&
        (x.name === undefined || x.name === name) &&
        (x.parkNumber === undefined || x.parkNumber === parkNumber),
    );
    if (!f) return undefined;
    f.remaining -= 1;
    f.hits += 1;
    return f;
  }

  /** Drop the counted faults that match. */
  remove(match: (f: Fault) => boolean): void {
    this.faults = this.faults.filter((f) => !match(f));
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** Counted faults and conditions, all gone. */
  clear(): void {
    this.faults = [];
    this.conditions.offline = false;
    this.conditions.slowMs = 0;
  }
}

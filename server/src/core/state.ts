/**
 * Typed state changes. An aggregate (order, booking, coupon, pass purchase, agreement, lane deduction) does not
 * write storage-shaped updates: its functions return a `Change` (the states it may leave, the state it enters,
 * the typed fields it sets, and any further condition that must hold at the moment of the write), and its
 * repository alone turns that into one atomic conditional write. A change whose condition no longer holds
 * applies to nothing, which is how two racing writers learn that the other one won.
 *
 * Each aggregate keeps its states and allowed moves in a `Moves` table beside its model; tests read the
 * table, and `change()` refuses to build a move the table does not allow, so a new move is one line there.
 */

/** The allowed moves of an aggregate: for each state, the states it may go to (a state may stay itself). */
export type Moves<S extends string> = { readonly [K in S]: readonly S[] };

/**
 * One conditional write of an aggregate: applies only while the record is in one of `from` and `when`
 * holds; then the record enters `to` (when given) and takes the fields of `set`.
 */
export interface Change<S extends string, P, W = never> {
  readonly from: readonly S[];
  readonly to?: S;
  readonly set: P;
  readonly when?: W;
}

/** A move the aggregate's table does not allow: a programming error, never a runtime outcome. */
export class IllegalMove extends Error {
  constructor(
    readonly aggregate: string,
    readonly from: string,
    readonly to: string,
  ) {
    super(`${aggregate}: no move from '${from}' to '${to}'`);
  }
}

/** Whether `moves` lets a record in `from` enter `to`. */
export function canMove<S extends string>(moves: Moves<S>, from: S, to: S): boolean {
  return from === to || moves[from].includes(to);
}

/**
 * Build a change, checked against the aggregate's table: every state of `from` must be allowed to enter
 * `to` (a change without `to` keeps the state and needs no check).
 */
export function change<S extends string, P, W = never>(aggregate: string, moves: Moves<S>, c: Change<S, P, W>): Change<S, P, W> {
  if (c.to !== undefined) {
    for (const f of c.from) if (!canMove(moves, f, c.to)) throw new IllegalMove(aggregate, f, c.to);
  }
  return c;
}

/** The states no move leaves (for tests and for pollers that stop looking at a finished record). */
export function finalStates<S extends string>(moves: Moves<S>): S[] {
  return (Object.keys(moves) as S[]).filter((s) => moves[s].every((t) => t === s));
}

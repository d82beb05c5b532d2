/**
 * Operators: the people who run lots. Roles:
 *  - 'admin': platform admin, every park;
 *  - 'operator': park operator, only the parks named in `parks`;
 *  - 'merchant': a shop the operator authorised, in its parks; may only give coupons (4.23).
 * Every operator endpoint that names a park checks it with `assertParkAccess` (403 `forbidden_park`), and
 * lists are filtered with `visibleParks`. Drivers never reach these endpoints (auth 'operator').
 */
import { OperatorError } from './errors';

export type OperatorRole = 'admin' | 'operator' | 'merchant';

export interface Operator {
  id: string;
  username: string;
  role: OperatorRole;
  /** The parks an 'operator' or 'merchant' may touch; ignored for 'admin'. */
  parks: string[];
  displayName?: string;
}

/** Resolves `Authorization: Bearer <operator session token>` (implemented by the operator service). */
export interface OperatorAuthenticator {
  authenticateOperator(token: string): Promise<Operator | undefined>;
}

/** One audited operator action: who, what, when, result. Written by mount() for every operator call that changes something. */
export interface AuditEntry {
  at: Date;
  operatorId: string;
  username: string;
  /** The operator's name at the time, when set. */
  displayName?: string;
  /** e.g. 'POST /api/op/parks/:parkNumber/coupons' (shared/api/op-audit.ts lists every audited action). */
  action: string;
  parkNumber?: string;
  /** What the action was about (plate, lane, amounts…), per action as shared/api/op-audit.ts says; no secrets. */
  facts?: Record<string, string | number | boolean | null | string[]>;
  /** A short, secret-free text of the target (entries written before `facts`). */
  target?: string;
  result: 'ok' | 'error';
  /** The error code when result is 'error'. */
  code?: string;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}

export function canAccessPark(op: Operator, parkNumber: string): boolean {
  return op.role === 'admin' || op.parks.includes(parkNumber);
}

/** 403 `forbidden_park` unless the operator may touch this park. */
export function assertParkAccess(op: Operator, parkNumber: string): void {
  if (!canAccessPark(op, parkNumber)) {
    throw new OperatorError('forbidden_park', `operator ${op.username} may not touch park ${parkNumber}`);
  }
}

/** 403 `forbidden_role` unless the operator has one of the roles. */
export function assertRole(op: Operator, ...roles: OperatorRole[]): void {
  if (!roles.includes(op.role)) {
    throw new OperatorError('forbidden_role', `this needs role ${roles.join(' or ')}`);
  }
}

/** The parks of a list the operator may see (admins: all). */
export function visibleParks<T extends { parkNumber: string }>(op: Operator, items: T[]): T[] {
  return op.role === 'admin' ? items : items.filter((i) => op.parks.includes(i.parkNumber));
}

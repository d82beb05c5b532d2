/**
 * The account forms' rules, as the server checks them (core/operators: passwordProblem, OPERATOR_USERNAME,
 * checkParks), so a form says what is wrong before it is sent; the server still decides.
 */
import type { OperatorRoleName, OperatorView } from '@shared/api/op-accounts';

/** The server lower-cases usernames; 3–64 of a–z 0–9 _ . @ -, starting with a letter or digit. */
const USERNAME = /^[a-z0-9][a-z0-9_.@-]{2,63}$/;

/** What is wrong with a new password (Chinese), or undefined. */
export function passwordProblem(password: string, username: string): string | undefined {
  if (password.length < 10) return '密码至少 10 个字符';
  if (password.length > 128) return '密码最多 128 个字符';
  if (new Set(password).size < 4) return '密码至少要有 4 种不同的字符';
  if (username && password.toLowerCase().includes(username.trim().toLowerCase())) return '密码不能包含用户名';
  return undefined;
}

export interface NewOperatorForm {
  username: string;
  displayName: string;
  role: OperatorRoleName;
  parks: string[];
  password: string;
}

export const EMPTY_NEW_OPERATOR: NewOperatorForm = { username: '', displayName: '', role: 'operator', parks: [], password: '' };

export type CreateBody = { username: string; password: string; role: OperatorRoleName; parks?: string[]; displayName?: string };

/** The createOperator body, or what is wrong with the form. */
export function createBody(f: NewOperatorForm): { body: CreateBody } | { error: string } {
  const username = f.username.trim().toLowerCase();
  if (!USERNAME.test(username)) return { error: '用户名 3–64 个字符：小写字母、数字、_ . @ -，以字母或数字开头' };
  const parks = [...new Set(f.parks)];
  if (f.role !== 'admin' && parks.length === 0) return { error: '请至少选择一个车场' };
  const problem = passwordProblem(f.password, username);
  if (problem) return { error: problem };
  const body: CreateBody = { username, password: f.password, role: f.role };
  if (f.role !== 'admin') body.parks = parks;
  if (f.displayName.trim()) body.displayName = f.displayName.trim();
  return { body };
}

export interface EditForm {
  role: OperatorRoleName;
  parks: string[];
  displayName: string;
}

export function editFormOf(o: OperatorView): EditForm {
  return { role: o.role, parks: [...o.parks], displayName: o.displayName ?? '' };
}

export type EditBody = { role?: OperatorRoleName; parks?: string[]; displayName?: string | null };

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** Only what changed (undefined: nothing), or what is wrong. */
export function editBody(o: OperatorView, f: EditForm): { body: EditBody | undefined } | { error: string } {
  if (f.role !== 'admin' && f.parks.length === 0) return { error: '请至少选择一个车场' };
  const body: EditBody = {};
  if (f.role !== o.role) body.role = f.role;
  // An admin's parks are not kept; another role's parks are sent with a role change too (the server checks them together).
  if (f.role !== 'admin' && (f.role !== o.role || !sameSet(f.parks, o.parks))) body.parks = [...new Set(f.parks)];
  const name = f.displayName.trim();
  if (name !== (o.displayName ?? '')) body.displayName = name ? name : null;
  return { body: Object.keys(body).length ? body : undefined };
}

/** Parks picked on or off. */
export function togglePark(parks: readonly string[], parkNumber: string): string[] {
  return parks.includes(parkNumber) ? parks.filter((p) => p !== parkNumber) : [...parks, parkNumber];
}

/**
 * Operator accounts, sessions and the login lock-out.
 *
 * Accounts: a username (lower-case), a scrypt password hash (passwords.ts), a role and the parks it may
 * touch. Only admins create, edit and disable accounts; everyone may change their own password.
 *
 * Sessions: a random token (32 bytes, base64url) handed out once at login; only sha256(token) is stored.
 * A session lasts 12 hours from login (no sliding: an operator's desk session should end the same day),
 * ends at logout, when the account is disabled, or when its password changes (other sessions only).
 *
 * Lock-out: 5 failed logins for one username within 15 minutes lock that username for 15 minutes. The
 * attempts are counted per username before the password is checked (atomically: parallel requests cannot
 * slip past the count; a right password forgets them), whether or not an account has the username, and an
 * unknown username is checked against a decoy hash, so neither the answers nor their timing tell which
 * usernames exist. A locked login is told so plainly, with the time it may try again.
 */
import type { Clock } from '../clock';
import { AppError } from '../errors';
import { OperatorError } from './errors';
import { hashSessionToken, looksLikeSessionToken, newSessionToken } from '../identity/tokens';
import { randomHex } from '../ids';
import { assertRole, type AuditEntry, type AuditLog, type Operator, type OperatorAuthenticator, type OperatorRole } from './model';
import { DEFAULT_SCRYPT_COST, decoyHash, hashPassword, passwordProblem, verifyPassword } from './passwords';

// ── records and stores (repository/operators.ts implements them) ─────────────────────────────────

export interface OperatorAccount {
  id: string;
  /** Lower-case, unique. */
  username: string;
  role: OperatorRole;
  /** Empty for admins. */
  parks: string[];
  displayName?: string;
  /** `scrypt$N$r$p$salt$hash` (passwords.ts). Never leaves the server. */
  passwordHash: string;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  passwordChangedAt: Date;
  lastLoginAt?: Date;
}

export type AccountPatch = Partial<Pick<OperatorAccount, 'role' | 'parks' | 'displayName' | 'passwordHash' | 'disabled' | 'passwordChangedAt' | 'lastLoginAt'>> & {
  updatedAt: Date;
};

export interface OperatorAccountRepository {
  /** False when the username is taken (unique index). */
  insert(account: OperatorAccount): Promise<boolean>;
  findById(id: string): Promise<OperatorAccount | undefined>;
  findByUsername(username: string): Promise<OperatorAccount | undefined>;
  list(): Promise<OperatorAccount[]>;
  /** One atomic update; the account after it, or undefined when there is no such account. */
  update(id: string, patch: AccountPatch): Promise<OperatorAccount | undefined>;
}

export interface OperatorSessionRecord {
  /** sha256(token), hex. */
  tokenHash: string;
  operatorId: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
}

export interface OperatorSessionRepository {
  insert(s: OperatorSessionRecord): Promise<void>;
  find(tokenHash: string): Promise<OperatorSessionRecord | undefined>;
  /** False when it was not live. */
  revoke(tokenHash: string, at: Date): Promise<boolean>;
  /** Revoke every live session of the operator except `keep` (a token hash); answers how many. */
  revokeAll(operatorId: string, at: Date, keep?: string): Promise<number>;
}

/** What one login attempt may do: have its password checked (the n-th attempt of the window), or not (locked). */
export type LoginAttempt = { attempt: number } | { lockedUntil: Date };

/** Login-attempt counters per username key (whether or not an account has that username). */
export interface LoginThrottleRepository {
  /**
   * Count one attempt at `now`, before its password is checked — one atomic update, so attempts arriving
   * together each get their own number. While the key is locked: its lock. Otherwise the attempt joins the
   * current window (one that started after `windowStart`) or starts a new one, and answers its number in it;
   * an attempt beyond `max` in the window is not counted but locks the key until `lockUntil` and answers that.
   */
  attempt(key: string, now: Date, o: { windowStart: Date; max: number; lockUntil: Date }): Promise<LoginAttempt>;
  /** Lock the key until `until` and start counting afresh. */
  lock(key: string, until: Date): Promise<void>;
  /** A successful login forgets the failures. */
  clear(key: string): Promise<void>;
}

export interface AuditQuery {
  /** Only these parks' entries (undefined: every entry); `orOperatorId`'s own entries are added. */
  parks?: string[];
  orOperatorId?: string;
  parkNumber?: string;
  operatorId?: string;
  /** Entries strictly before this moment (paging back). */
  before?: Date;
  limit: number;
}

/** The audit log (core/operators/model.ts AuditLog) and its reading side. */
export interface AuditStore extends AuditLog {
  /** Newest first. */
  list(q: AuditQuery): Promise<AuditEntry[]>;
}

// ── the service ─────────────────────────────────────────────────────────────────────────────────

export const OPERATOR_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
export const DEFAULT_LOCKOUT = { maxFailures: 5, windowMs: 15 * 60 * 1000, lockMs: 15 * 60 * 1000 };
export type LockoutPolicy = typeof DEFAULT_LOCKOUT;

/** Usernames: 3–64 of a–z 0–9 _ . @ -, starting with a letter or digit (case is folded). */
export const OPERATOR_USERNAME = /^[a-z0-9][a-z0-9_.@-]{2,63}$/;

export interface OperatorServiceDeps {
  accounts: OperatorAccountRepository;
  sessions: OperatorSessionRepository;
  throttle: LoginThrottleRepository;
  clock: Clock;
  /** Login successes and refusals of existing accounts are written here (other actions: by mount()). */
  audit?: AuditLog;
  sessionTtlMs?: number;
  lockout?: Partial<LockoutPolicy>;
  /** scrypt N for new hashes (tests may lower it; existing hashes keep their own). */
  scryptCost?: number;
  /** When given, an operator's parks must be known parks. */
  parkExists?: (parkNumber: string) => Promise<boolean>;
}

export interface OperatorLogin {
  /** Give to the client once; only its hash is kept. */
  token: string;
  expiresAt: Date;
  operator: Operator;
  account: OperatorAccount;
}

export interface NewOperator {
  username: string;
  password: string;
  role: OperatorRole;
  parks?: string[];
  displayName?: string;
}

export interface OperatorEdit {
  role?: OperatorRole;
  parks?: string[];
  displayName?: string | null;
  disabled?: boolean;
  /** A new password set by an admin (the operator's sessions end). */
  password?: string;
}

export const normalizeUsername = (u: string) => u.trim().toLowerCase();

export function operatorOf(a: OperatorAccount): Operator {
  const op: Operator = { id: a.id, username: a.username, role: a.role, parks: a.role === 'admin' ? [] : [...a.parks] };
  if (a.displayName) op.displayName = a.displayName;
  return op;
}

const invalidCredentials = () => new OperatorError('invalid_credentials', 'wrong username or password');

export class OperatorService implements OperatorAuthenticator {
  private readonly ttlMs: number;
  private readonly lockout: LockoutPolicy;
  private readonly cost: number;
  private decoy?: Promise<string>;

  constructor(private readonly deps: OperatorServiceDeps) {
    this.ttlMs = deps.sessionTtlMs ?? OPERATOR_SESSION_TTL_MS;
    this.lockout = { ...DEFAULT_LOCKOUT, ...deps.lockout };
    this.cost = deps.scryptCost ?? DEFAULT_SCRYPT_COST;
  }

  private now(): Date {
    return new Date(this.deps.clock.now());
  }

  // ── login, sessions ────────────────────────────────────────────────────────────────────────

  /**
   * Username + password → a session. Refusals: `login_locked` (429, details.retryAfterSeconds) while the
   * username is locked; `invalid_credentials` (401) for a wrong password or an unknown username alike;
   * `account_disabled` (403) only to someone who gave the right password.
   */
  async login(usernameRaw: string, password: string): Promise<OperatorLogin> {
    const username = normalizeUsername(usernameRaw);
    const key = username.slice(0, 64);
    const now = this.now();
    // The attempt is counted before the slow hash, atomically: however many arrive at once, at most
    // maxFailures of a window reach a check, and any beyond them is refused as locked without one.
    const slot = await this.deps.throttle.attempt(key, now, {
      windowStart: new Date(now.getTime() - this.lockout.windowMs),
      max: this.lockout.maxFailures,
      lockUntil: new Date(now.getTime() + this.lockout.lockMs),
    });
    if ('lockedUntil' in slot) throw this.lockedError(slot.lockedUntil, now);

    const account = OPERATOR_USERNAME.test(username) ? await this.deps.accounts.findByUsername(username) : undefined;
    // Unknown usernames cost one scrypt too: the answer's timing does not tell whether the account exists.
    const ok = account ? await verifyPassword(password, account.passwordHash) : await verifyPassword(password, await this.decoyHash()).then(() => false);
    if (!ok || !account) {
      if (account) await this.auditLogin(account, 'error', 'invalid_credentials');
      // The attempt that used up the window locks the username at once.
      if (slot.attempt >= this.lockout.maxFailures) {
        const until = new Date(now.getTime() + this.lockout.lockMs);
        await this.deps.throttle.lock(key, until);
        if (account) await this.auditLogin(account, 'error', 'login_locked');
        throw this.lockedError(until, now);
      }
      throw invalidCredentials();
    }
    if (account.disabled) {
      await this.auditLogin(account, 'error', 'account_disabled');
      throw new OperatorError('account_disabled', 'this operator account is disabled: ask an admin');
    }
    await this.deps.throttle.clear(key);
    const token = newSessionToken();
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    await this.deps.sessions.insert({ tokenHash: hashSessionToken(token), operatorId: account.id, createdAt: now, expiresAt });
    const after = (await this.deps.accounts.update(account.id, { lastLoginAt: now, updatedAt: account.updatedAt })) ?? account;
    await this.auditLogin(account, 'ok');
    return { token, expiresAt, operator: operatorOf(after), account: after };
  }

  private lockedError(until: Date, now: Date): AppError {
    const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
    const minutes = Math.ceil(seconds / 60);
    return new OperatorError(
      'login_locked',
      `too many failed logins: this username is locked for ${minutes} more minute${minutes === 1 ? '' : 's'}; try again after that`,
      { retryAfterSeconds: seconds, lockedUntil: until.toISOString() },
    );
  }

  private decoyHash(): Promise<string> {
    return (this.decoy ??= decoyHash(this.cost));
  }

  private async auditLogin(a: OperatorAccount, result: 'ok' | 'error', code?: string): Promise<void> {
    const entry: AuditEntry = { at: this.now(), operatorId: a.id, username: a.username, action: 'POST /api/op/auth/login', result };
    if (a.displayName) entry.displayName = a.displayName;
    if (code) entry.code = code;
    await this.deps.audit?.record(entry).catch(() => undefined);
  }

  /** The operator of a live session (OperatorAuthenticator), or undefined. */
  async authenticateOperator(token: string): Promise<Operator | undefined> {
    const a = await this.sessionAccount(token);
    return a ? operatorOf(a) : undefined;
  }

  private async sessionAccount(token: string): Promise<OperatorAccount | undefined> {
    if (!looksLikeSessionToken(token)) return undefined;
    const s = await this.deps.sessions.find(hashSessionToken(token));
    if (!s || s.revokedAt || s.expiresAt.getTime() <= this.deps.clock.now()) return undefined;
    const a = await this.deps.accounts.findById(s.operatorId);
    if (!a || a.disabled) return undefined;
    return a;
  }

  async logout(token: string): Promise<boolean> {
    if (!looksLikeSessionToken(token)) return false;
    return this.deps.sessions.revoke(hashSessionToken(token), this.now());
  }

  // ── accounts ───────────────────────────────────────────────────────────────────────────────

  async account(id: string): Promise<OperatorAccount | undefined> {
    return this.deps.accounts.findById(id);
  }

  /** Admins only (`by`), or 'system' (the create-admin command, demo mode, tests). */
  async createOperator(by: Operator | 'system', input: NewOperator): Promise<OperatorAccount> {
    if (by !== 'system') assertRole(by, 'admin');
    const username = normalizeUsername(input.username);
    if (!OPERATOR_USERNAME.test(username)) {
      throw new OperatorError('invalid_username', 'a username is 3–64 characters: a–z, 0–9, _ . @ -, starting with a letter or digit');
    }
    this.checkPassword(input.password, username);
    const parks = await this.checkParks(input.role, input.parks ?? []);
    const now = this.now();
    const account: OperatorAccount = {
      id: `op_${randomHex(8)}`,
      username,
      role: input.role,
      parks,
      passwordHash: await hashPassword(input.password, this.cost),
      disabled: false,
      createdAt: now,
      updatedAt: now,
      passwordChangedAt: now,
    };
    const displayName = input.displayName?.trim();
    if (displayName) account.displayName = displayName;
    if (!(await this.deps.accounts.insert(account))) throw new OperatorError('username_taken', `the username ${username} is taken`);
    return account;
  }

  /** Admins only. An admin may not disable or demote their own account (someone must stay admin). */
  async updateOperator(by: Operator, id: string, edit: OperatorEdit): Promise<OperatorAccount> {
    assertRole(by, 'admin');
    const current = await this.deps.accounts.findById(id);
    if (!current) throw new OperatorError('not_found', 'no such operator');
    if (id === by.id && (edit.disabled === true || (edit.role !== undefined && edit.role !== 'admin'))) {
      throw new OperatorError('own_account', 'you may not disable or demote your own account');
    }
    const now = this.now();
    const patch: AccountPatch = { updatedAt: now };
    const role = edit.role ?? current.role;
    if (edit.role !== undefined || edit.parks !== undefined) patch.parks = await this.checkParks(role, edit.parks ?? current.parks);
    if (edit.role !== undefined) patch.role = edit.role;
    if (edit.displayName !== undefined) patch.displayName = edit.displayName?.trim() ?? '';
    if (edit.disabled !== undefined) patch.disabled = edit.disabled;
    if (edit.password !== undefined) {
      this.checkPassword(edit.password, current.username);
      patch.passwordHash = await hashPassword(edit.password, this.cost);
      patch.passwordChangedAt = now;
    }
    const after = await this.deps.accounts.update(id, patch);
    if (!after) throw new OperatorError('not_found', 'no such operator');
    // A disabled account, a reset password or changed parks/role: its sessions end (the next login sees the new rights).
    if (edit.disabled === true || edit.password !== undefined || edit.role !== undefined || edit.parks !== undefined) {
      await this.deps.sessions.revokeAll(id, now);
    }
    return after;
  }

  /**
   * The create-admin command's --reset (no operator acts: whoever runs it has the database): give an
   * existing account this password, make it an enabled admin, end its sessions and lift a lock.
   */
  async resetAsAdmin(usernameRaw: string, password: string, displayName?: string): Promise<OperatorAccount> {
    const username = normalizeUsername(usernameRaw);
    const current = await this.deps.accounts.findByUsername(username);
    if (!current) throw new OperatorError('not_found', `no operator ${username}`);
    this.checkPassword(password, username);
    const now = this.now();
    const patch: AccountPatch = { role: 'admin', parks: [], disabled: false, passwordHash: await hashPassword(password, this.cost), passwordChangedAt: now, updatedAt: now };
    if (displayName?.trim()) patch.displayName = displayName.trim();
    const after = await this.deps.accounts.update(current.id, patch);
    if (!after) throw new OperatorError('not_found', `no operator ${username}`);
    await this.deps.sessions.revokeAll(current.id, now);
    await this.deps.throttle.clear(username.slice(0, 64));
    return after;
  }

  async listOperators(by: Operator): Promise<OperatorAccount[]> {
    assertRole(by, 'admin');
    return this.deps.accounts.list();
  }

  /** Change one's own password (the current one is asked for); every other session of the account ends. */
  async changeOwnPassword(op: Operator, currentPassword: string, newPassword: string, currentToken?: string): Promise<void> {
    const a = await this.deps.accounts.findById(op.id);
    if (!a || a.disabled) throw new OperatorError('unauthenticated', 'log in again');
    if (!(await verifyPassword(currentPassword, a.passwordHash))) {
      throw new OperatorError('invalid_credentials', 'the current password is wrong');
    }
    this.checkPassword(newPassword, a.username);
    if (await verifyPassword(newPassword, a.passwordHash)) throw new OperatorError('weak_password', 'the new password is the current one');
    const now = this.now();
    await this.deps.accounts.update(a.id, { passwordHash: await hashPassword(newPassword, this.cost), passwordChangedAt: now, updatedAt: now });
    await this.deps.sessions.revokeAll(a.id, now, currentToken && looksLikeSessionToken(currentToken) ? hashSessionToken(currentToken) : undefined);
  }

  private checkPassword(password: string, username: string): void {
    const problem = passwordProblem(password, username);
    if (problem) throw new OperatorError('weak_password', problem);
  }

  private async checkParks(role: OperatorRole, parks: string[]): Promise<string[]> {
    if (role === 'admin') return [];
    const unique = [...new Set(parks.map((p) => p.trim()).filter(Boolean))];
    if (!unique.length) throw new OperatorError('parks_required', `a${role === 'operator' ? 'n operator' : ' merchant'} needs at least one park`);
    if (this.deps.parkExists) {
      for (const p of unique) if (!(await this.deps.parkExists(p))) throw new OperatorError('park_unknown', `no park ${p} is registered`);
    }
    return unique;
  }
}

/**
 * scripts/create-admin.ts: arguments (never a password on the command line), creating the first admin
 * (who can then log in), --reset, and the command itself run with tsx against the test database with the
 * password on stdin.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createAdmin, parseArgs } from '../../scripts/create-admin';
import { openTestDatabase, testDatabaseUri, type TestDatabase } from '../support/db';
import { operatorWorld, type OperatorWorld } from '../support/operators';

let db: TestDatabase;
let ops: OperatorWorld;
beforeAll(async () => {
  db = await openTestDatabase('createadmin');
  ops = await operatorWorld(db.connection);
});
afterAll(async () => {
  await db.dispose();
});

describe('parseArgs', () => {
  it('takes --username, --display-name, --reset (also --flag=value)', () => {
    expect(parseArgs(['--username', 'root', '--display-name=平台', '--reset'])).toEqual({ username: 'root', displayName: '平台', reset: true });
  });
  it('refuses a password on the command line, unknown flags, a missing username', () => {
    expect(() => parseArgs(['--username', 'root', '--password', 'x'])).toThrow(/not taken on the command line/);
    expect(() => parseArgs(['--username', 'root', '--password=x'])).toThrow(/not taken on the command line/);
    expect(() => parseArgs(['--user', 'root'])).toThrow(/unknown argument --user/);
    expect(() => parseArgs([])).toThrow(/--username is required/);
    expect(() => parseArgs(['--username'])).toThrow(/--username needs a value/);
  });
});

describe('createAdmin', () => {
  it('creates an admin who can log in; a taken name needs --reset, which sets the password, role admin and enables it', async () => {
    const r = await createAdmin(ops.service, { username: 'Root', reset: false }, 'first-admin-pw');
    expect(r).toMatchObject({ username: 'root', created: true });
    expect((await ops.service.login('root', 'first-admin-pw')).operator.role).toBe('admin');
    await expect(createAdmin(ops.service, { username: 'root', reset: false }, 'other-admin-pw')).rejects.toMatchObject({ code: 'username_taken' });

    const op = await ops.session({ role: 'operator', parks: ['P1'], username: 'demoted' });
    await ops.service.updateOperator(
      (await ops.service.login('root', 'first-admin-pw')).operator,
      op.operator.id,
      { disabled: true },
    );
    const again = await createAdmin(ops.service, { username: 'demoted', reset: true }, 'recovered-pw-1');
    expect(again.created).toBe(false);
    const s = await ops.service.login('demoted', 'recovered-pw-1');
    expect(s.operator).toMatchObject({ role: 'admin', parks: [] });
    expect(await ops.service.authenticateOperator(op.token)).toBeUndefined();
  });
  it('a weak password is refused', async () => {
    await expect(createAdmin(ops.service, { username: 'weakling', reset: false }, 'short')).rejects.toMatchObject({ code: 'weak_password' });
  });
});

function run(args: string[], stdin: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  const root = path.resolve(__dirname, '../..');
  const u = new URL(testDatabaseUri());
  u.pathname = `/${db.name}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'scripts/create-admin.ts', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', MONGODB_URI: u.toString(), PARKPAY_MODE: 'demo', LOG_LEVEL: 'silent', ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(stdin);
  });
}

describe('npm run create-admin (the command)', () => {
  it('reads the password from stdin, creates the admin, and says so without echoing the password', async () => {
    const r = await run(['--username', 'piped-admin'], 'stdin-secret-42\n');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^created admin piped-admin \(op_[0-9a-f]+\)/);
    expect(r.out + r.err).not.toContain('stdin-secret-42');
    expect((await ops.service.login('piped-admin', 'stdin-secret-42')).operator.role).toBe('admin');
    const entries = await ops.auditEntries();
    expect(entries.some((e) => e.action === 'create-admin' && e.username === 'piped-admin')).toBe(true);
  }, 60_000);

  it('takes PARKPAY_ADMIN_PASSWORD; a taken username fails with a hint; --password is refused', async () => {
    const taken = await run(['--username', 'piped-admin'], '', { PARKPAY_ADMIN_PASSWORD: 'another-secret-1' });
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/taken \(add --reset/);
    const argv = await run(['--username', 'x-admin', '--password', 'nope'], '');
    expect(argv.code).toBe(64);
    expect(argv.err).toMatch(/not taken on the command line/);
  }, 60_000);
});

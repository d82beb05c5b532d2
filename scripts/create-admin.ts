/**
 * `npm run create-admin -- --username <name> [--display-name <name>] [--reset]`: create the first admin
 * operator (or, with --reset, set an existing account's password, make it an admin and enable it — the
 * way back in when every admin password is lost).
 *
 * The password is never taken from the command line (it would stay in the shell history and in `ps`):
 * it comes from the environment variable PARKPAY_ADMIN_PASSWORD, or from stdin — typed twice without echo
 * on a terminal, or the first line of piped input.
 *
 * The database is the server's (MONGODB_URI, PARKPAY_CONFIG…, as for `npm start`). With the embedded
 * database (no MONGODB_URI), stop the server first: both would open the same data directory.
 */
import { Writable } from 'node:stream';
import readline from 'node:readline';
import { ConfigError, loadConfig } from '../server/src/config';
import { systemClock } from '../server/src/core/clock';
import { AppError } from '../server/src/core/errors';
import { OperatorService } from '../server/src/core/operators/service';
import { Database } from '../server/src/repository/database';
import { MongoAuditLog, MongoLoginThrottle, MongoOperatorAccountRepository, MongoOperatorSessionRepository } from '../server/src/repository/operators';

export interface CreateAdminArgs {
  username: string;
  displayName?: string;
  reset: boolean;
}

const USAGE = 'usage: npm run create-admin -- --username <name> [--display-name <name>] [--reset]\n' +
  '  the password: PARKPAY_ADMIN_PASSWORD, or stdin (typed twice on a terminal, else the first line)';

/** Parse argv (after the script name). Throws a message for the user. */
export function parseArgs(argv: string[]): CreateAdminArgs {
  const out: Partial<CreateAdminArgs> = { reset: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--username':
        out.username = value();
        break;
      case '--display-name':
        out.displayName = value();
        break;
      case '--reset':
        out.reset = true;
        break;
      case '--password':
      case '-p':
        throw new Error('the password is not taken on the command line (shell history, ps): set PARKPAY_ADMIN_PASSWORD or type it on stdin');
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
  }
  if (!out.username) throw new Error(`--username is required\n${USAGE}`);
  return out as CreateAdminArgs;
}

/** Create the admin, or (reset) give an existing account this password, role admin, enabled. */
export async function createAdmin(operators: OperatorService, args: CreateAdminArgs, password: string): Promise<{ id: string; username: string; created: boolean }> {
  try {
    const a = await operators.createOperator('system', { username: args.username, password, role: 'admin', displayName: args.displayName });
    return { id: a.id, username: a.username, created: true };
  } catch (e) {
    if (!(e instanceof AppError && e.code === 'username_taken' && args.reset)) throw e;
    const a = await operators.resetAsAdmin(args.username, password, args.displayName);
    return { id: a.id, username: a.username, created: false };
  }
}

async function readPassword(): Promise<string> {
  const env = process.env.PARKPAY_ADMIN_PASSWORD;
  if (env) return env;
  if (!process.stdin.isTTY) {
    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    for await (const line of rl) {
      rl.close();
      return line.replace(/\r$/, '');
    }
    throw new Error('no password: set PARKPAY_ADMIN_PASSWORD or pipe it on stdin');
  }
  const ask = async (prompt: string) => {
    let muted = false;
    const out = new Writable({ write: (chunk, _e, cb) => (muted ? undefined : process.stderr.write(chunk), cb()) });
    const rl = readline.createInterface({ input: process.stdin, output: out, terminal: true });
    process.stderr.write(prompt);
    muted = true;
    const answer = await new Promise<string>((resolve) => rl.question('', resolve));
    rl.close();
    process.stderr.write('\n');
    return answer;
  };
  const first = await ask('password for the new admin: ');
  const second = await ask('again: ');
  if (first !== second) throw new Error('the two passwords differ');
  return first;
}

async function main(): Promise<number> {
  let args: CreateAdminArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    return 64; // EX_USAGE
  }
  let config;
  try {
    config = loadConfig(process.env, process.cwd(), { databaseOnly: true });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`cannot read the configuration: ${e.message}`);
      return 78;
    }
    throw e;
  }
  const password = await readPassword().catch((e: Error) => {
    console.error(e.message);
    return undefined;
  });
  if (password === undefined) return 64;
  const database = await Database.open({ uri: config.mongodbUri, dataDir: config.dataDir, cacheDir: config.cacheDir, log: (m) => console.error(m) });
  try {
    const repos = {
      accounts: new MongoOperatorAccountRepository(database.connection),
      sessions: new MongoOperatorSessionRepository(database.connection),
      throttle: new MongoLoginThrottle(database.connection),
    };
    const audit = new MongoAuditLog(database.connection);
    await Promise.all([audit.init(), ...Object.values(repos).map((r) => r.init())]);
    const operators = new OperatorService({ ...repos, clock: systemClock, audit });
    try {
      const r = await createAdmin(operators, args, password);
      await audit.record({
        at: new Date(),
        operatorId: r.id,
        username: r.username,
        action: r.created ? 'create-admin' : 'create-admin --reset',
        target: `operator ${r.username}`,
        result: 'ok',
      });
      console.log(`${r.created ? 'created' : 'reset'} admin ${r.username} (${r.id}); log in with POST /api/op/auth/login`);
      return 0;
    } catch (e) {
      if (e instanceof AppError) {
        console.error(e.code === 'username_taken' ? `${e.message} (add --reset to set its password and make it an admin)` : e.message);
        return 1;
      }
      throw e;
    }
  } finally {
    await database.close();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}

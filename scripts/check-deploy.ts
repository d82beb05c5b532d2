/**
 * npm run check:deploy — the deployment files checked without Docker:
 *   1. tools/deploy-check (Go, built once into .cache/): the Dockerfile through BuildKit's own lint (what
 *      `docker build --check` runs) and hadolint-style rules; the compose file through compose-go, the
 *      loader of `docker compose config` (the Compose Specification schema, interpolation), and the
 *      deployment's shape (replica set, two instances, the proxy, secrets);
 *   2. `nginx -t` on the proxy's configuration as the nginx image renders it (nginx from PATH, else Debian's
 *      package unpacked into .cache/ with `apt-get download`, never installed or started): the upstream
 *      host names, which resolve only on compose's network, are pointed at 127.0.0.1, and a throw-away
 *      certificate stands in for tls/.
 * Exit 1 with every finding when anything is wrong.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const TOOL = path.join(ROOT, 'tools', 'deploy-check');
const CACHE = path.join(ROOT, '.cache');

export const DEPLOY_FILES = {
  dockerfile: path.join(ROOT, 'Dockerfile'),
  compose: path.join(ROOT, 'deploy', 'compose.yaml'),
  nginx: path.join(ROOT, 'deploy', 'nginx', 'parkpay.conf.template'),
};
/** What the compose file needs from the environment (docs/deploying.md). */
export const EXAMPLE_ENV = { PARKPAY_PUBLIC_HOST: 'pay.example.com' };

function goBinary(): string | undefined {
  for (const candidate of ['go', '/usr/local/go/bin/go']) {
    if (spawnSync(candidate, ['version'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

/** tools/deploy-check built for its sources' hash (once; about two minutes on a cold Go module cache). */
export function deployCheckBinary(log: (m: string) => void = () => {}): string {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(path.join(TOOL, f)));
  const out = path.join(CACHE, `deploy-check-${hash.digest('hex').slice(0, 12)}`, 'deploy-check');
  if (existsSync(out)) return out;
  const go = goBinary();
  if (!go) throw new Error('tools/deploy-check needs Go 1.24+ to build once (https://go.dev/dl/), or put a built deploy-check at ' + out);
  log(`building tools/deploy-check into ${path.relative(ROOT, out)} (once) …`);
  mkdirSync(path.dirname(out), { recursive: true });
  execFileSync(go, ['build', '-o', `${out}.tmp`, '.'], { cwd: TOOL, stdio: ['ignore', 'inherit', 'inherit'] });
  renameSync(`${out}.tmp`, out);
  return out;
}

/** nginx: on PATH, else Debian's package unpacked into .cache/ (apt-get download + dpkg -x; nothing installed). */
export function nginxBinary(log: (m: string) => void = () => {}): string {
  if (spawnSync('nginx', ['-v'], { stdio: 'ignore' }).status === 0) return 'nginx';
  const dir = path.join(CACHE, 'nginx-deb');
  const bin = path.join(dir, 'root', 'usr', 'sbin', 'nginx');
  if (existsSync(bin)) return bin;
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('nginx is needed to check the proxy configuration: install nginx (apt-get install nginx-core) or put it on PATH');
  }
  log('unpacking Debian\'s nginx package into .cache/nginx-deb (apt-get download; not installed) …');
  mkdirSync(dir, { recursive: true });
  execFileSync('apt-get', ['download', 'nginx'], { cwd: dir, stdio: 'ignore' });
  const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error('apt-get download nginx gave no package');
  execFileSync('dpkg', ['-x', deb, 'root'], { cwd: dir });
  return bin;
}

export interface DeployCheckResult {
  ok: boolean;
  /** deploy-check's findings, "file:line: RULE: message". */
  findings: string[];
  /** nginx -t's verdict and output. */
  nginx: { ok: boolean; output: string; version: string };
}

/** The nginx image renders templates/*.template with envsubst of the variables it has, then nginx -t. */
export function checkNginx(template: string, env: Record<string, string>, nginx = nginxBinary()): DeployCheckResult['nginx'] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-nginx-check-'));
  try {
    const version = /nginx\/([\d.]+)/.exec(spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr)?.[1] ?? '0';
    let conf = readFileSync(template, 'utf8').replace(/\$\{(\w+)\}/g, (m, name: string) => env[name] ?? m);
    // Compose's service names resolve on its network only.
    conf = conf.replace(/^(\s*server\s+)[\w.-]+(:\d+)/gm, '$1127.0.0.1$2');
    conf = conf.replaceAll('/etc/nginx/tls/', `${dir}/tls/`);
    // `http2 on;` is nginx ≥ 1.25.1 (the image's 1.27); an older local nginx spells it on the listen lines.
    const [maj, min, patch] = version.split('.').map(Number);
    if (maj! < 1 || (maj === 1 && (min! < 25 || (min === 25 && patch! < 1)))) {
      if (/^\s*http2 on;/m.test(conf)) conf = conf.replace(/^\s*http2 on;\n/m, '').replace(/listen (\S+) ssl;/g, 'listen $1 ssl http2;');
    }
    mkdirSync(path.join(dir, 'tls'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${env.PARKPAY_PUBLIC_HOST ?? 'localhost'}`,
      '-keyout', path.join(dir, 'tls', 'privkey.pem'), '-out', path.join(dir, 'tls', 'fullchain.pem')], { stdio: 'ignore' });
    writeFileSync(path.join(dir, 'parkpay.conf'), conf);
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir}/${t};`).join(' ');
    writeFileSync(path.join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  access_log off;\n  ${temp}\n  include ${dir}/parkpay.conf;\n}\n`);
    const r = spawnSync(nginx, ['-t', '-q', '-p', dir, '-e', 'stderr', '-c', path.join(dir, 'nginx.conf')], { encoding: 'utf8' });
    const output = `${r.stdout}${r.stderr}`.replaceAll(dir, '<check>').trim();
    return { ok: r.status === 0, output, version };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function checkDeploy(files = DEPLOY_FILES, env: Record<string, string> = EXAMPLE_ENV, log: (m: string) => void = () => {}): DeployCheckResult {
  const bin = deployCheckBinary(log);
  const r = spawnSync(bin, ['-dockerfile', files.dockerfile, '-compose', files.compose, '-nginx', files.nginx, ...Object.entries(env).flatMap(([k, v]) => ['-env', `${k}=${v}`])], {
    encoding: 'utf8',
  });
  const findings = r.stdout.split('\n').filter((l) => l && !l.startsWith('deploy-check: no findings'));
  if (r.status !== 0 && findings.length === 0) findings.push(`deploy-check failed: ${r.stderr.trim()}`);
  const nginx = checkNginx(files.nginx, env, nginxBinary(log));
  return { ok: findings.length === 0 && nginx.ok, findings, nginx };
}

if (require.main === module) {
  try {
    const r = checkDeploy(DEPLOY_FILES, EXAMPLE_ENV, (m) => console.log(m));
    const rel = (f: string) => path.relative(ROOT, f);
    console.log(`${rel(DEPLOY_FILES.dockerfile)}, ${rel(DEPLOY_FILES.compose)}: ${r.findings.length ? `${r.findings.length} finding(s)` : 'BuildKit lint, hadolint-style rules, the compose schema and the deployment shape: no findings'}`);
    for (const f of r.findings) console.log(`  ${f}`);
    console.log(`${rel(DEPLOY_FILES.nginx)}: nginx ${r.nginx.version} -t ${r.nginx.ok ? 'ok' : 'FAILED'}${r.nginx.output ? `\n  ${r.nginx.output.split('\n').join('\n  ')}` : ''}`);
    process.exit(r.ok ? 0 : 1);
  } catch (e) {
    console.error(`check:deploy: ${(e as Error).message}`);
    process.exit(2);
  }
}

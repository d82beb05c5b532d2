/**
 * npm run check:deploy on the real deployment files (no findings, nginx -t ok), and on copies broken one way
 * at a time: each break is caught by the rule meant for it — so the check that passes can fail.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkDeploy, DEPLOY_FILES, EXAMPLE_ENV, type DeployCheckResult } from '../../scripts/check-deploy';

// The first run builds tools/deploy-check with Go (minutes on a cold module cache).
jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../..');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The deployment files copied (same layout: the compose file builds from its parent folder), one edited. */
function broken(file: keyof typeof DEPLOY_FILES, edit: (text: string) => string): DeployCheckResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-deploy-'));
  dirs.push(dir);
  cpSync(path.join(ROOT, 'deploy'), path.join(dir, 'deploy'), { recursive: true });
  cpSync(DEPLOY_FILES.dockerfile, path.join(dir, 'Dockerfile'));
  const files = {
    dockerfile: path.join(dir, 'Dockerfile'),
    compose: path.join(dir, 'deploy', 'compose.yaml'),
    nginx: path.join(dir, 'deploy', 'nginx', 'parkpay.conf.template'),
  };
  const text = readFileSync(files[file], 'utf8');
  const changed = edit(text);
  expect(changed).not.toBe(text);
  writeFileSync(files[file], changed);
  return checkDeploy(files, EXAMPLE_ENV);
}

const rules = (r: DeployCheckResult) => r.findings.map((f) => /: ([\w/]+): /.exec(f)?.[1]);

it('the Dockerfile, the compose file and the nginx configuration pass', () => {
  const r = checkDeploy(DEPLOY_FILES, EXAMPLE_ENV);
  expect(r.findings).toEqual([]);
  expect(r.nginx).toMatchObject({ ok: true });
  expect(r.ok).toBe(true);
});

it.each([
  { what: 'a root runtime', file: 'dockerfile', rule: 'DL3002', edit: (t: string) => t.replace(/^USER node\n/m, '') },
  { what: 'the stand-ins in the image', file: 'dockerfile', rule: 'PP005', edit: (t: string) => t.replace('COPY --from=build /src/dist/server/src ./dist/server/src', 'COPY --from=build /src/dist ./dist') },
  { what: 'the tsx launcher as the command', file: 'dockerfile', rule: 'PP006', edit: (t: string) => t.replace(/^CMD \[.*\]$/m, 'CMD ["npx", "tsx", "server/src/main.ts"]') },
  { what: 'an unpinned base image', file: 'dockerfile', rule: 'DL3007', edit: (t: string) => t.replace('ARG NODE_IMAGE=node:20.20.2-bookworm-slim', 'ARG NODE_IMAGE=node:latest') },
  { what: 'a shell-form CMD (BuildKit)', file: 'dockerfile', rule: 'buildkit/JSONArgsRecommended', edit: (t: string) => t.replace(/^CMD \[.*\]$/m, 'CMD node dist/server/src/main.js') },
  { what: 'one instance', file: 'compose', rule: 'PC003', edit: (t: string) => t.replace(/ {2}parkpay2:\n {4}<<: \*parkpay\n {4}hostname: parkpay2\n/, '').replace(/ +parkpay2: \{ condition: service_healthy \}\n/, '') },
  { what: 'a published database', file: 'compose', rule: 'PC006', edit: (t: string) => t.replace('    hostname: mongo1\n', '    hostname: mongo1\n    ports: ["27017:27017"]\n') },
  { what: 'a two-member replica set', file: 'compose', rule: 'PC001', edit: (t: string) => t.replace(/ {2}mongo3:\n {4}<<: \*mongo\n {4}hostname: mongo3\n {4}volumes: \[mongo3:\/data\/db\]\n/, '').replace(/ +mongo3: \{ condition: service_healthy \}\n/, '') },
  { what: 'a password in the file', file: 'compose', rule: 'PC010', edit: (t: string) => t.replace('    LOG_LEVEL: info\n', '    LOG_LEVEL: info\n    MONGODB_URI: mongodb://parkpay:hunter2@mongo1/parkpay\n') },
  { what: 'a key the Compose Specification does not have', file: 'compose', rule: 'COMPOSE', edit: (t: string) => t.replace('\nvolumes:\n', '\nvolumez:\n') },
  { what: 'an upstream that is no instance', file: 'nginx', rule: 'PC009', edit: (t: string) => t.replace('server parkpay2:8080', 'server parkpay3:8080') },
] as const)('$what is caught: $rule', ({ file, edit, rule }) => {
  const r = broken(file, edit);
  expect(r.ok).toBe(false);
  expect(rules(r)).toContain(rule);
});

it('nginx -t catches what nginx would refuse', () => {
  const r = broken('nginx', (t) => t.replace('proxy_pass http://parkpay;', 'proxy_pas http://parkpay;'));
  expect(r.nginx.ok).toBe(false);
  expect(r.nginx.output).toMatch(/unknown directive "proxy_pas"/);
});

/**
 * Demo mode's operator: the admin named in the README and the start banner can log in with the password
 * named there; a restart on the same database keeps the account as it is (its password too).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEMO_OPERATOR, ensureDemoOperator } from '../../server/sandbox/demo';
import { createLogger } from '../../server/src/logger';
import { openTestDatabase, type TestDatabase } from '../support/db';
import { operatorWorld } from '../support/operators';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase('demoop');
});
afterAll(async () => {
  await db.dispose();
});

it('creates the demo admin once; the README names its username and password', async () => {
  const ops = await operatorWorld(db.connection);
  const logger = createLogger('silent');
  await ensureDemoOperator(ops.service, logger);
  const s = await ops.service.login(DEMO_OPERATOR.username, DEMO_OPERATOR.password);
  expect(s.operator).toMatchObject({ username: 'demo-admin', role: 'admin' });

  await ops.service.changeOwnPassword(s.operator, DEMO_OPERATOR.password, 'changed-by-the-user-1');
  await ensureDemoOperator(ops.service, logger); // a restart
  expect((await ops.service.login(DEMO_OPERATOR.username, 'changed-by-the-user-1')).operator.id).toBe(s.operator.id);

  const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  expect(readme).toContain(`\`${DEMO_OPERATOR.username}\` with password \`${DEMO_OPERATOR.password}\``);
});

/**
 * Every core module's error class has a status table in the port: a module added without one would answer
 * its expected failures 500 (the compiler checks the tables against the modules listed in CoreError; this
 * checks that every module's class is listed).
 */
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../../server/src/core/errors';
import { OrderError } from '../../../../server/src/core/orders/errors';
import { ERROR_STATUS, statusOf } from '../../../../server/src/port/http/error-status';
import { HttpError } from '../../../../server/src/port/http/errors';

const CORE = join(__dirname, '../../../../server/src/core');
const modules = readdirSync(CORE, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(CORE, d.name, 'errors.ts')))
  .map((d) => d.name);

it('finds the modules', () => {
  expect(modules).toEqual(expect.arrayContaining(['orders', 'coupons', 'agreements', 'operators']));
});

it.each(modules)('core/%s: its errors have a status table', async (name) => {
  const exported = Object.values((await import(join(CORE, name, 'errors.ts'))) as Record<string, unknown>);
  const classes = exported.filter((v): v is new (code: string, message: string) => AppError => typeof v === 'function' && v.prototype instanceof AppError);
  expect(classes).toHaveLength(1);
  const e = new classes[0]!('not_found', 'x');
  expect(e.module).toBe(name);
  expect(Object.keys(ERROR_STATUS)).toContain(name);
  for (const status of Object.values((ERROR_STATUS as Record<string, Record<string, number>>)[name]!)) {
    expect(status >= 400 && status < 600).toBe(true);
  }
});

it('a port says its own status; a code no table knows is our bug (500)', () => {
  expect(statusOf(new HttpError('too_many_requests', 'slow down', 429))).toBe(429);
  expect(statusOf(new OrderError('quote_expired', 'x'))).toBe(409);
  expect(statusOf(new OrderError('no_such_code' as never, 'x'))).toBe(500);
});

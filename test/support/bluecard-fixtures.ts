/** The spec's JSON examples (test/fixtures/bluecard), by file name. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const FIXTURE_DIR = path.resolve(__dirname, '../fixtures/bluecard');

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(path.join(FIXTURE_DIR, name.endsWith('.json') ? name : `${name}.json`), 'utf8')) as T;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json'));
}

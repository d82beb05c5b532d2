/**
 * A database of its own for one test file, on the run's real engine (see global-setup.ts).
 */
import { randomBytes } from 'node:crypto';
import mongoose, { type Connection } from 'mongoose';

export function testDatabaseUri(): string {
  const uri = process.env.PARKPAY_TEST_MONGODB_URI;
  if (!uri) throw new Error('PARKPAY_TEST_MONGODB_URI is not set: run tests through jest (global-setup.ts starts the database)');
  return uri;
}

export interface TestDatabase {
  connection: Connection;
  name: string;
  /** Drop the database and close the connection. */
  dispose(): Promise<void>;
}

export async function openTestDatabase(label = 't'): Promise<TestDatabase> {
  const name = `pp_${label.replace(/\W/g, '').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const connection = await mongoose
    .createConnection(testDatabaseUri(), { dbName: name, serverSelectionTimeoutMS: 10_000, bufferCommands: false })
    .asPromise();
  return {
    connection,
    name,
    async dispose() {
      try {
        await connection.dropDatabase();
      } finally {
        await connection.close();
      }
    },
  };
}

/**
 * The drivers who bound a plate (the audience of a car's entry message) are found through the drivers' plate
 * keys: only reads by _id, which FerretDB answers from its index, never a read of every driver. Each driver
 * found is checked against its own record, so a key whose binding failed or was undone names nobody.
 */
import { driversWithPlate } from '../../../server/src/repository/messages';
import { identityModels, MongoDriverRepository } from '../../../server/src/repository/drivers';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repo: MongoDriverRepository;
beforeAll(async () => {
  db = await openTestDatabase('driverplates');
  repo = new MongoDriverRepository(db.connection);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = new Date(Date.UTC(2026, 10, 28, 2, 0, 0));
const bound = (plate: string) => ({ plate, plateKey: plate, boundAt: T });
async function driver(id: string): Promise<string> {
  const { driver: d } = await repo.findOrCreate({ provider: 'wechat', wechatOpenId: `o-${id}` }, { id, createdAt: T });
  return d.id;
}

/** The filters of the commands the connection sends meanwhile. */
async function filtersDuring(run: () => Promise<unknown>): Promise<{ collection: string; keys: string[] }[]> {
  const seen: { collection: string; keys: string[] }[] = [];
  db.connection.set('debug', (collection: string, _method: string, query: unknown) => {
    seen.push({ collection, keys: query && typeof query === 'object' ? Object.keys(query) : [] });
  });
  try {
    await run();
  } finally {
    db.connection.set('debug', false);
  }
  return seen;
}

it('two drivers with one plate are both found, one who unbinds it no longer; a third plate finds nobody', async () => {
  const [a, b] = [await driver('dp-a'), await driver('dp-b')];
  await repo.addPlate(a, bound('京A11111'), 5);
  await repo.addPlate(b, bound('京A11111'), 5);
  expect((await driversWithPlate(db.connection, '京A11111')).sort()).toEqual([a, b].sort());
  await repo.removePlate(b, '京A11111');
  expect(await driversWithPlate(db.connection, '京A11111')).toEqual([a]);
  expect(await driversWithPlate(db.connection, '京A99999')).toEqual([]);
});

it('only reads by _id: no read of every driver', async () => {
  const a = await driver('dp-c');
  await repo.addPlate(a, bound('京A22222'), 5);
  const filters = await filtersDuring(() => driversWithPlate(db.connection, '京A22222'));
  expect(filters.length).toBeGreaterThan(0);
  expect(filters.filter((f) => f.keys.join(',') !== '_id')).toEqual([]);
});

it('a binding refused (the driver has as many plates as allowed) leaves a key that names nobody', async () => {
  const a = await driver('dp-d');
  await repo.addPlate(a, bound('京A33331'), 1);
  expect(await repo.addPlate(a, bound('京A33332'), 1)).toEqual({ outcome: 'full' });
  expect(await driversWithPlate(db.connection, '京A33332')).toEqual([]);
  expect(await driversWithPlate(db.connection, '京A33331')).toEqual([a]);
});

it('drivers written before the plate keys existed are found once the start-up migration ran', async () => {
  await identityModels(db.connection).drivers.collection.insertOne({ _id: 'dp-old', createdAt: T, plates: [bound('京A44444')], wechatOpenId: 'o-old' } as never);
  expect(await driversWithPlate(db.connection, '京A44444')).toEqual([]);
  await db.connection.collection('migrations').deleteOne({ _id: 'drivers: plate keys' } as never);
  await new MongoDriverRepository(db.connection).init();
  expect(await driversWithPlate(db.connection, '京A44444')).toEqual(['dp-old']);
});

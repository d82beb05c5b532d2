// Run once by the mongo-init service (mongosh --file): initiate the replica set rs0 of mongo1–3 and create
// the parkpay user (readWrite and index builds on the parkpay database). Both steps are idempotent, so the
// job can run at every `docker compose up`.
const fs = require('fs');
const secret = (name) => fs.readFileSync(`/run/secrets/${name}`, 'utf8').trim();

db.getSiblingDB('admin').auth('root', secret('mongo-root-password'));

let initiated = true;
try {
  rs.status();
} catch (e) {
  if (e.codeName !== 'NotYetInitialized') throw e;
  initiated = false;
}
if (!initiated) {
  rs.initiate({
    _id: 'rs0',
    members: [
      { _id: 0, host: 'mongo1:27017', priority: 2 },
      { _id: 1, host: 'mongo2:27017', priority: 1 },
      { _id: 2, host: 'mongo3:27017', priority: 1 },
    ],
  });
}

// Users are written on the primary: wait for the election.
for (let i = 0; i < 60 && !db.hello().isWritablePrimary; i++) sleep(1000);
if (!db.hello().isWritablePrimary) throw new Error('no primary after 60 s');

const parkpay = db.getSiblingDB('parkpay');
const roles = [{ role: 'readWrite', db: 'parkpay' }, { role: 'dbAdmin', db: 'parkpay' }];
if (parkpay.getUser('parkpay')) parkpay.updateUser('parkpay', { pwd: secret('mongo-parkpay-password'), roles });
else parkpay.createUser({ user: 'parkpay', pwd: secret('mongo-parkpay-password'), roles });
print('replica set rs0 ready; user parkpay on database parkpay');

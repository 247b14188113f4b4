// The platform CA in an SQLite store: the same code path PostgreSQL takes, without a server.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { platformCa, type SealKey } from '../../../src/api/platform-ca.js';
import { createCa } from '../../../src/ca/index.js';
import { openDatabase } from '../../../src/store/open.js';
import { Store } from '../../../src/store/store.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fresh(): Promise<{ home: string; store: Store }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-platform-ca-'));
  const opened = await openDatabase(path.join(home, 'weft.db'));
  const store = new Store(opened.db, opened.dialect);
  cleanups.push(async () => {
    await store.close();
    fs.rmSync(home, { recursive: true, force: true });
  });
  return { home, store };
}

const sealKey = (): SealKey => ({ key: randomBytes(32), source: 'test key' });
const only = (current: SealKey | null) => ({ current, previous: null });

async function storedRow(store: Store) {
  return store.db.selectFrom('certificate_authority').selectAll().executeTakeFirstOrThrow();
}

test('servers with the same seal key open the one CA the first one stored', async () => {
  const { home, store } = await fresh();
  const key = sealKey();
  const otherHome = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-platform-ca-'));
  cleanups.push(() => Promise.resolve(fs.rmSync(otherHome, { recursive: true, force: true })));
  const [first, second] = await Promise.all([
    platformCa(store, home, only(key)),
    platformCa(store, otherHome, only(key)),
  ]);
  assert.equal(first.certPem, second.certPem);
  assert.equal(fs.readFileSync(path.join(otherHome, 'ca', 'ca.crt'), 'utf8'), first.certPem);
  assert.ok(!fs.existsSync(path.join(otherHome, 'ca', 'ca.key')));
});

test('the database holds no CA key in the clear, neither PEM nor DER', async () => {
  const { home, store } = await fresh();
  await platformCa(store, home, only(sealKey()));
  const row = await storedRow(store);
  const file = fs.readFileSync(path.join(home, 'weft.db'));
  assert.ok(!row.sealed_key.includes('PRIVATE KEY'));
  assert.ok(!file.includes('PRIVATE KEY'));
  // The key as the database would hold it after a dump: any of its encodings would do an attacker.
  const imported = createCa();
  const { store: other, home: otherHome } = await fresh();
  fs.mkdirSync(path.join(otherHome, 'ca'), { mode: 0o700 });
  fs.writeFileSync(path.join(otherHome, 'ca', 'ca.crt'), imported.certPem);
  fs.writeFileSync(path.join(otherHome, 'ca', 'ca.key'), imported.keyPem, { mode: 0o600 });
  await platformCa(other, otherHome, only(sealKey()));
  const der = createPrivateKey(imported.keyPem).export({ type: 'pkcs8', format: 'der' });
  const dump = fs.readFileSync(path.join(otherHome, 'weft.db'));
  assert.equal(dump.indexOf(der), -1);
  assert.equal(dump.indexOf(Buffer.from(der.toString('base64').slice(0, 40))), -1);
  assert.equal((await storedRow(other)).cert_pem, imported.certPem);
});

test('a server with another seal key refuses to start, naming its key', async () => {
  const { home, store } = await fresh();
  await platformCa(store, home, only(sealKey()));
  await assert.rejects(
    platformCa(store, home, only(sealKey())),
    /does not open with the seal key test key.*authentication failed/,
  );
});

test('a CA certificate swapped in the database does not open with the sealed key', async () => {
  const { home, store } = await fresh();
  const key = sealKey();
  await platformCa(store, home, only(key));
  const attacker = createCa({ commonName: 'attacker' });
  await store.db.updateTable('certificate_authority').set({ cert_pem: attacker.certPem }).execute();
  await assert.rejects(platformCa(store, home, only(key)), /authentication failed/);
});

test('a database holding a sealed CA refuses a server without a seal key', async () => {
  const { home, store } = await fresh();
  await platformCa(store, home, only(sealKey()));
  await assert.rejects(platformCa(store, home, only(null)), /holds the platform CA, sealed/);
});

test('without a seal key SQLite keeps the CA in files, as before', async () => {
  const { home, store } = await fresh();
  const ca = await platformCa(store, home, only(null));
  assert.equal(fs.readFileSync(path.join(home, 'ca', 'ca.crt'), 'utf8'), ca.certPem);
  assert.ok(fs.existsSync(path.join(home, 'ca', 'ca.key')));
  assert.equal((await store.db.selectFrom('certificate_authority').selectAll().execute()).length, 0);
});

test('given the previous seal key too, a server seals the CA again under the new one', async () => {
  const { home, store } = await fresh();
  const [oldKey, newKey] = [sealKey(), sealKey()];
  const ca = await platformCa(store, home, only(oldKey));
  const rotated = await platformCa(store, home, { current: newKey, previous: oldKey });
  assert.equal(rotated.certPem, ca.certPem);
  assert.equal((await platformCa(store, home, only(newKey))).certPem, ca.certPem);
  await assert.rejects(platformCa(store, home, only(oldKey)), /authentication failed/);
});

// The store on both databases: writes are all-or-nothing, revisions reach followers in order, and a
// reopened database keeps its data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { LoggedChange } from '../../../src/model/types.js';
import { changesSince } from '../../../src/store/change-log.js';
import { openDatabase } from '../../../src/store/open.js';
import { Store } from '../../../src/store/store.js';
import { createOrg, listOrgs } from '../../../src/store/tenancy.js';
import { tempDir } from '../../helpers/control-plane.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';

const databases = testDatabases();
after(() => databases.stop());

async function count(store: Store, table: 'changes' | 'events' | 'orgs'): Promise<number> {
  const row = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

for (const kind of DATABASE_KINDS) {
  describe(`store on ${kind}`, () => {
    const dir = tempDir('weft-store-');
    const stores: Store[] = [];
    let url = '';
    const open = async () => {
      const opened = await openDatabase(url);
      const store = new Store(opened.db, opened.dialect);
      await store.hub.start();
      stores.push(store);
      return store;
    };
    before(async () => {
      url = (await databases.fresh(kind, 'store')) ?? path.join(dir, 'weft.db');
    });
    after(async () => {
      for (const s of stores.splice(0)) await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('a write that fails leaves no row, no change and no audit event', async () => {
      const store = await open();
      const revision = store.hub.revision;
      const initially = await Promise.all([
        count(store, 'orgs'),
        count(store, 'changes'),
        count(store, 'events'),
      ]);
      await assert.rejects(
        store.write('test', async (w) => {
          await createOrg(w, 'doomed');
          await createOrg(w, 'doomed');
        }),
        /already exists/,
      );
      const afterwards = await Promise.all([
        count(store, 'orgs'),
        count(store, 'changes'),
        count(store, 'events'),
      ]);
      assert.deepEqual(afterwards, initially);
      await store.hub.poke();
      assert.equal(store.hub.revision, revision);
    });

    test('concurrent writes get distinct revisions that followers hear in order, each once', async () => {
      const store = await open();
      const start = store.hub.revision;
      const heard: LoggedChange[] = [];
      const unfollow = store.hub.follow((c) => heard.push(c));
      try {
        await Promise.all(
          Array.from({ length: 40 }, (_, i) => store.write('test', (w) => createOrg(w, `org-${i}`))),
        );
      } finally {
        unfollow();
      }
      const stored = await changesSince(store.db, start, 1000);
      assert.equal(stored.length, 40);
      assert.deepEqual(heard, stored);
      const revisions = heard.map((c) => c.revision);
      assert.deepEqual(
        revisions,
        [...new Set(revisions)].sort((a, b) => a - b),
      );
      assert.equal(store.hub.revision, revisions.at(-1));
    });

    test('reopening the database keeps its data and its revisions', async () => {
      const first = await open();
      const orgs = await listOrgs(first.db);
      const revision = first.hub.revision;
      for (const s of stores.splice(0)) await s.close();
      const again = await open();
      assert.deepEqual(await listOrgs(again.db), orgs);
      assert.equal(again.hub.revision, revision);
      await again.write('test', (w) => createOrg(w, 'after-reopen'));
      assert.ok(again.hub.revision > revision);
    });
  });
}

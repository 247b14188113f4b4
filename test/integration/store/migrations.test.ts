// Upgrading a store: a database written before policies named GUIDs of no app keeps every policy, and
// afterwards takes policies for GUIDs of no app; apps pushed by host path lose that path; both databases.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { Dialect } from '../../../src/store/dialect.js';
import { migrate } from '../../../src/store/migrate.js';
import * as initial from '../../../src/store/migrations/0001-initial.js';
import * as ownership from '../../../src/store/migrations/0002-ownership.js';
import * as quotas from '../../../src/store/migrations/0003-quotas.js';
import { tempDir } from '../../helpers/control-plane.js';
import { DATABASE_KINDS, testDatabases } from '../../helpers/databases.js';

const databases = testDatabases();
after(() => databases.stop());

function connect(dialect: Dialect, url: string): Kysely<unknown> {
  if (dialect === 'postgres')
    return new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
  const sqlite = new SQLite(url);
  sqlite.pragma('foreign_keys = ON');
  return new Kysely({ dialect: new SqliteDialect({ database: sqlite }) });
}

/** The schema as weft 0003 left it. */
async function migrateTo0003(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: {
      getMigrations: () =>
        Promise.resolve({
          '0001-initial': { up: (d: Kysely<unknown>) => initial.up(d, dialect) },
          '0002-ownership': { up: (d: Kysely<unknown>) => ownership.up(d) },
          '0003-quotas': { up: (d: Kysely<unknown>) => quotas.up(d) },
        }),
    },
  });
  const { error } = await migrator.migrateToLatest();
  assert.equal(error, undefined);
}

const policies = (db: Kysely<unknown>) =>
  sql<{
    source_app_guid: string;
    dest_app_guid: string;
  }>`select source_app_guid, dest_app_guid from policies order by start_port`.execute(db);

for (const kind of DATABASE_KINDS) {
  describe(`migrations on ${kind}`, () => {
    test('0004 keeps every policy and lets policies name GUIDs of no app', async () => {
      const dir = tempDir('weft-migrate-');
      const dialect: Dialect = kind === 'postgres' ? 'postgres' : 'sqlite';
      const db = connect(dialect, (await databases.fresh(kind, 'migrate')) ?? path.join(dir, 'weft.db'));
      try {
        await migrateTo0003(db, dialect);
        await sql`insert into orgs (guid, name) values ('o', 'o')`.execute(db);
        await sql`insert into spaces (guid, org_guid, name) values ('s', 'o', 's')`.execute(db);
        for (const [guid, tag] of [
          ['a', 1],
          ['b', 2],
        ] as const) {
          await sql`insert into apps (guid, space_guid, name, command, path, instances, memory_mb, env, ports, state, tag)
            values (${guid}, 's', ${guid}, 'true', '/', 1, 256, '{}', '[8080]', 'STARTED', ${tag})`.execute(
            db,
          );
        }
        await sql`insert into policies values ('a', 'b', 'tcp', 8080, 8080)`.execute(db);
        await assert.rejects(sql`insert into policies values ('a', 'ghost', 'tcp', 1, 1)`.execute(db));

        await migrate(db, dialect);
        assert.deepEqual((await policies(db)).rows, [{ source_app_guid: 'a', dest_app_guid: 'b' }]);
        await sql`insert into policies values ('a', 'ghost', 'tcp', 9000, 9000)`.execute(db);
        await assert.rejects(
          sql`insert into policies values ('a', 'b', 'tcp', 8080, 8080)`.execute(db),
          'the key holds',
        );
        assert.deepEqual((await policies(db)).rows, [
          { source_app_guid: 'a', dest_app_guid: 'b' },
          { source_app_guid: 'a', dest_app_guid: 'ghost' },
        ]);
      } finally {
        await db.destroy();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('0005 takes every app its host path: the app keeps the rest and has no package until pushed', async () => {
      const dir = tempDir('weft-migrate-');
      const dialect: Dialect = kind === 'postgres' ? 'postgres' : 'sqlite';
      const db = connect(dialect, (await databases.fresh(kind, 'migrate5')) ?? path.join(dir, 'weft.db'));
      try {
        await migrateTo0003(db, dialect);
        await sql`insert into orgs (guid, name) values ('o', 'o')`.execute(db);
        await sql`insert into spaces (guid, org_guid, name) values ('s', 'o', 's')`.execute(db);
        await sql`insert into apps (guid, space_guid, name, command, path, instances, memory_mb, env, ports, state, tag)
          values ('a', 's', 'a', 'true', '/root', 2, 256, '{}', '[8080]', 'STARTED', 1)`.execute(db);

        await migrate(db, dialect);
        const apps = await sql<Record<string, unknown>>`select * from apps`.execute(db);
        assert.equal(apps.rows.length, 1);
        const [app] = apps.rows;
        assert.equal(app?.name, 'a');
        assert.equal(Number(app?.instances), 2);
        assert.equal(app?.package_digest, null);
        assert.equal(app?.package_size, null);
        assert.equal('path' in (app ?? {}), false, 'no host path survives');
      } finally {
        await db.destroy();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

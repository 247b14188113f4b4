// Opens the database a URL names: PostgreSQL for postgres:// URLs, otherwise an SQLite file.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import type { Dialect } from './dialect.js';
import { migrate } from './migrate.js';

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The connection string PostgreSQL listeners use; null for SQLite. */
  postgresUrl: string | null;
}

export async function openDatabase(url: string): Promise<OpenedDatabase> {
  if (/^postgres(ql)?:\/\//.test(url)) {
    // int8 (bigserial revisions) fits a JS number for any realistic count of writes.
    pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    await migrate(db as Kysely<unknown>, 'postgres');
    return { db, dialect: 'postgres', postgresUrl: url };
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(file);
  // The store holds token hashes and everything else of the platform: root's eyes only.
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (fs.existsSync(f)) fs.chmodSync(f, 0o600);
  // WAL keeps readers off the writer's back; FULL makes every acknowledged commit durable.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db as Kysely<unknown>, 'sqlite');
  return { db, dialect: 'sqlite', postgresUrl: null };
}

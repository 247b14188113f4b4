// Runs one suite against each database weft supports: SQLite (the default) and PostgreSQL.
import { startPostgres, type TestPostgres } from './postgres.js';

export type DatabaseKind = 'sqlite' | 'postgres';
export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'postgres'];

export interface TestDatabases {
  /** The --database value for a fresh store: undefined means SQLite under the server's WEFT_HOME. */
  fresh(kind: DatabaseKind, name: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** PostgreSQL starts on first use, so a file that only needs SQLite never pays for it. */
export function testDatabases(): TestDatabases {
  let postgres: Promise<TestPostgres> | null = null;
  return {
    async fresh(kind, name) {
      if (kind === 'sqlite') return undefined;
      postgres ??= startPostgres();
      return (await postgres).url(name);
    },
    async stop() {
      if (postgres) await (await postgres).stop();
    },
  };
}

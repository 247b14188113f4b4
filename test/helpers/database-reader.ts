// Reads a server's database directly, with plain SQL, to check what the API says against it.
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';

export interface ChangeRow {
  revision: number;
  kind: string;
  op: string;
  key: string;
}

/** `database` is the server's --database URL, or undefined for the SQLite file under its home. */
export async function changesAfter(
  database: string | undefined,
  home: string,
  revision: number,
): Promise<ChangeRow[]> {
  const query = 'select revision, kind, op, key from changes where revision > $1 order by revision';
  if (database === undefined) {
    const db = new SQLite(path.join(home, 'weft.db'), { readonly: true });
    try {
      return db.prepare<[number], ChangeRow>(query.replace('$1', '?')).all(revision);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    const rows = await client.query<ChangeRow>(query, [revision]);
    return rows.rows.map((r) => ({ ...r, revision: Number(r.revision) }));
  } finally {
    await client.end();
  }
}

/** How many rows a table of the server's database holds. */
export async function countRows(database: string | undefined, home: string, table: string): Promise<number> {
  const query = `select count(*) as n from ${table}`;
  if (database === undefined) {
    const db = new SQLite(path.join(home, 'weft.db'), { readonly: true });
    try {
      return db.prepare<[], { n: number }>(query).get()?.n ?? 0;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(query)).rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

// Bearer tokens. Only a SHA-256 of each token is stored; the token itself is shown once. A token may
// expire; revoking one deletes it, and the change log tells every server to end its open streams.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { conflict, invalid, notFound } from '../model/errors.js';
import type { Db, Writer } from './writer.js';

export type Role = 'admin' | 'space_developer' | 'cell';
export const ROLES: Role[] = ['admin', 'space_developer', 'cell'];

export interface Identity {
  tokenId: string;
  name: string;
  role: Role;
  /** Spaces a space developer develops in; empty for other roles. */
  spaceGuids: string[];
  /** The one cell a cell token speaks for; null for other roles. */
  cellId: string | null;
  /** ISO time after which the token is refused; null for a token that does not expire. */
  expiresAt: string | null;
}

export interface TokenSpec {
  name: string;
  role: Role;
  spaceGuids: string[];
  cellId: string | null;
  expiresAt: string | null;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createToken(
  w: Writer,
  spec: TokenSpec,
): Promise<{ identity: Identity; token: string }> {
  if (spec.role === 'space_developer' && spec.spaceGuids.length === 0) {
    throw invalid('spaces: a space developer token needs at least one space');
  }
  if (spec.role !== 'space_developer' && spec.spaceGuids.length > 0) {
    throw invalid('spaces: only space developer tokens name spaces');
  }
  if (spec.role === 'cell' && spec.cellId === null) throw invalid('cell: a cell token names its one cell');
  if (spec.role !== 'cell' && spec.cellId !== null) throw invalid('cell: only cell tokens name a cell');
  if (spec.expiresAt !== null && Date.parse(spec.expiresAt) <= Date.now()) {
    throw invalid('expiresAt: must be in the future');
  }
  const taken = await w.trx
    .selectFrom('tokens')
    .select('id')
    .where('name', '=', spec.name)
    .executeTakeFirst();
  if (taken) throw conflict(`token ${spec.name} already exists`);
  for (const s of spec.spaceGuids) {
    const space = await w.trx.selectFrom('spaces').select('guid').where('guid', '=', s).executeTakeFirst();
    if (!space) throw notFound(`space ${s} not found`);
  }
  const token = `weft_${randomBytes(32).toString('base64url')}`;
  const id = randomUUID();
  await w.trx
    .insertInto('tokens')
    .values({
      id,
      name: spec.name,
      hash: hashToken(token),
      role: spec.role,
      created_at: new Date().toISOString(),
      cell_id: spec.cellId,
      expires_at: spec.expiresAt,
    })
    .execute();
  for (const s of spec.spaceGuids)
    await w.trx.insertInto('token_spaces').values({ token_id: id, space_guid: s }).execute();
  const identity: Identity = { tokenId: id, ...spec };
  await w.audit('token.create', `token:${id}`, null, identity);
  return { identity, token };
}

/** The identity a token proves, or null for an unknown, revoked or expired one. */
export async function identify(db: Db, token: string): Promise<Identity | null> {
  const row = await db
    .selectFrom('tokens')
    .selectAll()
    .where('hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row) return null;
  if (row.expires_at !== null && Date.parse(row.expires_at) <= Date.now()) return null;
  return identityOf(db, row);
}

export interface TokenInfo extends Identity {
  createdAt: string;
}

export async function listTokens(db: Db): Promise<TokenInfo[]> {
  const rows = await db.selectFrom('tokens').selectAll().orderBy('name').execute();
  return Promise.all(rows.map(async (r) => ({ ...(await identityOf(db, r)), createdAt: r.created_at })));
}

/** Deletes the token; the 'token' change tells every server sharing the store to end its streams. */
export async function revokeToken(w: Writer, name: string): Promise<Identity> {
  const row = await w.trx.selectFrom('tokens').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`token ${name} not found`);
  const identity = await identityOf(w.trx, row);
  await w.trx.deleteFrom('token_spaces').where('token_id', '=', row.id).execute();
  await w.trx.deleteFrom('tokens').where('id', '=', row.id).execute();
  await w.delete('token', row.id);
  await w.audit('token.revoke', `token:${row.id}`, identity, null);
  return identity;
}

async function identityOf(
  db: Db,
  row: { id: string; name: string; role: string; cell_id: string | null; expires_at: string | null },
): Promise<Identity> {
  const spaces = await db
    .selectFrom('token_spaces')
    .select('space_guid')
    .where('token_id', '=', row.id)
    .orderBy('space_guid')
    .execute();
  return {
    tokenId: row.id,
    name: row.name,
    role: row.role as Role,
    spaceGuids: spaces.map((s) => s.space_guid),
    cellId: row.cell_id,
    expiresAt: row.expires_at,
  };
}

export async function countTokens(db: Db): Promise<number> {
  const row = await db
    .selectFrom('tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Whether the token is still there: not revoked since it was checked. */
export async function tokenExists(db: Db, tokenId: string): Promise<boolean> {
  return (
    (await db.selectFrom('tokens').select('id').where('id', '=', tokenId).executeTakeFirst()) !== undefined
  );
}

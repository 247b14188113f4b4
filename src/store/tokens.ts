// Bearer tokens. Only a SHA-256 of each token is stored; the token itself is shown once.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { invalid, notFound } from '../model/errors.js';
import type { Db, Writer } from './writer.js';

export type Role = 'admin' | 'space_developer' | 'cell';
export const ROLES: Role[] = ['admin', 'space_developer', 'cell'];

export interface Identity {
  tokenId: string;
  name: string;
  role: Role;
  /** Spaces a space developer develops in; empty for other roles. */
  spaceGuids: string[];
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createToken(
  w: Writer,
  spec: { name: string; role: Role; spaceGuids: string[] },
): Promise<{ identity: Identity; token: string }> {
  if (spec.role === 'space_developer' && spec.spaceGuids.length === 0) {
    throw invalid('spaces: a space developer token needs at least one space');
  }
  if (spec.role !== 'space_developer' && spec.spaceGuids.length > 0) {
    throw invalid('spaces: only space developer tokens name spaces');
  }
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
    })
    .execute();
  for (const s of spec.spaceGuids)
    await w.trx.insertInto('token_spaces').values({ token_id: id, space_guid: s }).execute();
  const identity: Identity = { tokenId: id, name: spec.name, role: spec.role, spaceGuids: spec.spaceGuids };
  await w.audit('token.create', `token:${id}`, null, identity);
  return { identity, token };
}

export async function identify(db: Db, token: string): Promise<Identity | null> {
  const row = await db
    .selectFrom('tokens')
    .selectAll()
    .where('hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row) return null;
  const spaces = await db
    .selectFrom('token_spaces')
    .select('space_guid')
    .where('token_id', '=', row.id)
    .execute();
  return {
    tokenId: row.id,
    name: row.name,
    role: row.role as Role,
    spaceGuids: spaces.map((s) => s.space_guid),
  };
}

export async function countTokens(db: Db): Promise<number> {
  const row = await db
    .selectFrom('tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// Who owns what: a route belongs to the space that created it, a cell token to its one cell, and a
// token may expire. Routes made before this belong to the space of an app they map to, if any.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('routes')
    .addColumn('space_guid', 'text', (c) => c.references('spaces.guid').onDelete('cascade'))
    .execute();
  await sql`update routes set space_guid = (
      select apps.space_guid from route_mappings join apps on apps.guid = route_mappings.app_guid
      where route_mappings.route_guid = routes.guid order by apps.space_guid limit 1)`.execute(db);
  await db.schema.alterTable('tokens').addColumn('cell_id', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('expires_at', 'text').execute();
}

// The first schema. Written once against both SQLite and PostgreSQL: only portable column types.
import type { Kysely } from 'kysely';
import type { Dialect } from '../dialect.js';

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const autoId = dialect === 'postgres' ? ('bigserial' as const) : ('integer' as const);

  await db.schema
    .createTable('orgs')
    .addColumn('guid', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .execute();
  await db.schema
    .createTable('spaces')
    .addColumn('guid', 'text', (c) => c.primaryKey())
    .addColumn('org_guid', 'text', (c) => c.notNull().references('orgs.guid').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addUniqueConstraint('spaces_org_name', ['org_guid', 'name'])
    .execute();
  await db.schema
    .createTable('apps')
    .addColumn('guid', 'text', (c) => c.primaryKey())
    .addColumn('space_guid', 'text', (c) => c.notNull().references('spaces.guid').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('instances', 'integer', (c) => c.notNull())
    .addColumn('memory_mb', 'integer', (c) => c.notNull())
    .addColumn('env', 'text', (c) => c.notNull())
    .addColumn('ports', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('tag', 'integer', (c) => c.notNull().unique())
    .addColumn('mtls', 'integer', (c) => c.notNull().defaultTo(0))
    .addUniqueConstraint('apps_space_name', ['space_guid', 'name'])
    .execute();
  await db.schema
    .createTable('domains')
    .addColumn('guid', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('internal', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('routes')
    .addColumn('guid', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('domain_guid', 'text', (c) => c.notNull().references('domains.guid').onDelete('cascade'))
    .addUniqueConstraint('routes_host_domain', ['host', 'domain_guid'])
    .execute();
  await db.schema
    .createTable('route_mappings')
    .addColumn('route_guid', 'text', (c) => c.notNull().references('routes.guid').onDelete('cascade'))
    .addColumn('app_guid', 'text', (c) => c.notNull().references('apps.guid').onDelete('cascade'))
    .addPrimaryKeyConstraint('route_mappings_pk', ['route_guid', 'app_guid'])
    .execute();
  await db.schema
    .createTable('policies')
    .addColumn('source_app_guid', 'text', (c) => c.notNull().references('apps.guid').onDelete('cascade'))
    .addColumn('dest_app_guid', 'text', (c) => c.notNull().references('apps.guid').onDelete('cascade'))
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('start_port', 'integer', (c) => c.notNull())
    .addColumn('end_port', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('policies_pk', [
      'source_app_guid',
      'dest_app_guid',
      'protocol',
      'start_port',
      'end_port',
    ])
    .execute();
  await db.schema.createIndex('policies_dest').on('policies').column('dest_app_guid').execute();
  await db.schema
    .createTable('cells')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host_ip', 'text', (c) => c.notNull())
    .addColumn('subnet', 'text', (c) => c.notNull().unique())
    .execute();
  await db.schema
    .createTable('instances')
    .addColumn('guid', 'text', (c) => c.primaryKey())
    .addColumn('app_guid', 'text', (c) => c.notNull().references('apps.guid').onDelete('cascade'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('cell_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('since', 'text', (c) => c.notNull())
    .addUniqueConstraint('instances_app_idx', ['app_guid', 'idx'])
    .execute();
  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('token_spaces')
    .addColumn('token_id', 'text', (c) => c.notNull().references('tokens.id').onDelete('cascade'))
    .addColumn('space_guid', 'text', (c) => c.notNull().references('spaces.guid').onDelete('cascade'))
    .addPrimaryKeyConstraint('token_spaces_pk', ['token_id', 'space_guid'])
    .execute();
  await db.schema
    .createTable('changes')
    .addColumn('revision', autoId, (c) =>
      dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
    )
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('op', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('object', 'text')
    .execute();
  await db.schema
    .createTable('events')
    .addColumn('id', autoId, (c) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

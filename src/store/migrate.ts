// Versioned migrations, run on every start. Each entry is applied once, in name order, in a transaction.
import { Migrator, type Kysely, type Migration } from 'kysely';
import type { Dialect } from './dialect.js';
import * as initial from './migrations/0001-initial.js';
import * as ownership from './migrations/0002-ownership.js';
import * as quotas from './migrations/0003-quotas.js';
import * as policiesNameGuids from './migrations/0004-policies-name-guids.js';
import * as packages from './migrations/0005-packages.js';
import * as externalInstances from './migrations/0006-external-instances.js';
import * as instanceStack from './migrations/0007-instance-stack.js';
import * as certificateAuthority from './migrations/0008-certificate-authority.js';
import * as cellPresence from './migrations/0009-cell-presence.js';
import * as issuedCertificates from './migrations/0010-issued-certificates.js';

export async function migrate(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const migrations: Record<string, Migration> = {
    '0001-initial': { up: (d) => initial.up(d, dialect) },
    '0002-ownership': { up: (d) => ownership.up(d) },
    '0003-quotas': { up: (d) => quotas.up(d) },
    '0004-policies-name-guids': { up: (d) => policiesNameGuids.up(d, dialect) },
    '0005-packages': { up: (d) => packages.up(d, dialect) },
    '0006-external-instances': { up: (d) => externalInstances.up(d) },
    '0007-instance-stack': { up: (d) => instanceStack.up(d) },
    '0008-certificate-authority': { up: (d) => certificateAuthority.up(d) },
    '0009-cell-presence': { up: (d) => cellPresence.up(d) },
    '0010-issued-certificates': { up: (d) => issuedCertificates.up(d) },
  };
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${why}`);
  }
}

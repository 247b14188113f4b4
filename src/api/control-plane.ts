// Starts the control plane: database and migrations, first-start defaults, the HTTPS API on its port.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { invalid } from '../model/errors.js';
import { chooseOverlay, readHostFacts } from '../network/overlay-choice.js';
import { openDatabase } from '../store/open.js';
import { COMMIT_CHANNEL, Store } from '../store/store.js';
import { NotificationListener } from '../store/notifications.js';
import { getSetting, setSetting } from '../store/settings.js';
import { createDomain, DEFAULT_INTERNAL_DOMAIN, listDomains } from '../store/routes.js';
import { countTokens, createToken } from '../store/tokens.js';
import { deleteStalePolicies } from '../store/policies.js';
import { sweepPackages } from '../store/packages.js';
import { ADMIN_TOKEN_FILE, DATABASE_FILE } from '../home/paths.js';
import { enforceQuotas } from '../guards/quota.js';
import { buildApi, type Api } from './server.js';
import type { CellQuestions } from './cell-questions.js';
import { hearNotice, SESSION_CHANNEL } from './session-orders.js';
import { issueServerTls, renewServerTls } from './server-certificate.js';
import type { ApiOptions } from './options.js';
import { platformCa, type SealKeys } from './platform-ca.js';
import { sweepCellsRegularly } from './cell-sweeper.js';
import type { LossTimings } from '../cells/loss-plan.js';

export interface ControlPlaneConfig {
  home: string;
  /** postgres://… or an SQLite file path; the SQLite file under `home` when absent. */
  database?: string;
  host: string;
  port: number;
  overlayCidr?: string;
  /** Extra names (or addresses) the API's certificate carries: --api-name. */
  apiNames: string[];
  /** Keep the CA in the database, sealed with the current key (required with PostgreSQL). */
  caSealKeys: SealKeys;
  api: ApiOptions;
  /** When a silent cell is declared lost, and its lease released. */
  cellLoss: LossTimings;
}

export interface ControlPlane {
  api: Api;
  store: Store;
  /** https://…: where a client on this host reaches the API. */
  url: string;
  /** The platform CA that signs the API's certificate; clients verify the API against it. */
  caPem: string;
  overlayCidr: string;
  close(): Promise<void>;
}

/** `moreMetrics`: what another thread of this process adds to /metrics (see control-plane-thread.ts). */
export async function startControlPlane(
  config: ControlPlaneConfig,
  logger: Logger,
  moreMetrics: (() => Promise<string>) | null = null,
): Promise<ControlPlane> {
  fs.mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const opened = await openDatabase(config.database ?? path.join(config.home, DATABASE_FILE));
  const store = new Store(opened.db, opened.dialect, [enforceQuotas]);
  const overlayCidr = await firstStartDefaults(store, config, logger);
  await store.hub.start();
  // Session notices may arrive before the API exists; none can be for it then.
  let questions: CellQuestions | null = null;
  const hear = (payload: string) => {
    if (questions !== null) hearNotice(questions, payload);
  };
  const listener =
    opened.postgresUrl !== null
      ? new NotificationListener(
          opened.postgresUrl,
          { [COMMIT_CHANNEL]: () => void store.hub.poke(), [SESSION_CHANNEL]: hear },
          () => void store.hub.poke(),
          logger,
        )
      : null;
  await listener?.start();
  const stopPruning = store.pruneChangeLog((err) => logger.warn({ err }, 'pruning the change log failed'));
  const stopCleaning = cleanUpPoliciesRegularly(store, logger);
  const stopSweeping = sweepPackagesRegularly(store, logger);
  const stopCellSweep = sweepCellsRegularly(store, config.cellLoss, logger);

  const ca = await platformCa(store, config.home, config.caSealKeys);
  const issueTls = () => issueServerTls(ca, config.host, config.apiNames);
  const api = await buildApi(store, ca, issueTls(), logger, config.api, moreMetrics);
  questions = api.questions;
  const stopRenewing = renewServerTls(issueTls, (tls) => api.app.server.setSecureContext(tls), logger);
  await api.app.listen({ host: config.host, port: config.port });
  const address = api.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `https://${localHost(config.host)}:${port}`;
  logger.info({ url, database: opened.dialect, overlayCidr }, 'control plane listening');
  return {
    api,
    store,
    url,
    caPem: ca.certPem,
    overlayCidr,
    async close() {
      stopPruning();
      stopCleaning();
      stopSweeping();
      stopCellSweep();
      stopRenewing();
      await api.app.close();
      await listener?.stop();
      await store.close();
    },
  };
}

/** A wildcard listen address is reached on loopback, a name the certificate always carries. */
function localHost(listenHost: string): string {
  if (listenHost === '0.0.0.0') return '127.0.0.1';
  if (listenHost === '::') return '[::1]';
  return listenHost.includes(':') ? `[${listenHost}]` : listenHost;
}

async function firstStartDefaults(store: Store, config: ControlPlaneConfig, logger: Logger): Promise<string> {
  const stored = await getSetting(store.db, 'overlay_cidr');
  if (stored !== null && config.overlayCidr !== undefined && config.overlayCidr !== stored) {
    throw invalid(`--overlay ${config.overlayCidr}: this control plane already runs overlay ${stored}`);
  }
  let overlayCidr = stored;
  if (overlayCidr === null) {
    const choice = chooseOverlay(config.overlayCidr, await readHostFacts());
    logger.info(choice.note);
    overlayCidr = choice.cidr;
  }

  const adminToken = await store.write('system', async (w) => {
    if (stored === null) await setSetting(w.trx, 'overlay_cidr', overlayCidr);
    if (!(await listDomains(w.trx)).some((d) => d.name === DEFAULT_INTERNAL_DOMAIN)) {
      await createDomain(w, DEFAULT_INTERNAL_DOMAIN, true);
    }
    if ((await countTokens(w.trx)) > 0) return null;
    return (
      await createToken(w, { name: 'admin', role: 'admin', spaceGuids: [], cellId: null, expiresAt: null })
    ).token;
  });
  if (adminToken !== null) {
    const file = path.join(config.home, ADMIN_TOKEN_FILE);
    fs.writeFileSync(file, `${adminToken}\n`, { mode: 0o600 });
    logger.info({ file }, 'created the admin token');
  }
  return overlayCidr;
}

/** Cloud Foundry's policy cleaner on its default interval: policies naming no app are removed. */
const POLICY_CLEANUP_EVERY_MS = 60 * 60_000;
const PACKAGE_SWEEP_EVERY_MS = 10 * 60_000;

function cleanUpPoliciesRegularly(store: Store, logger: Logger): () => void {
  const timer = setInterval(() => {
    store
      .write('system:policy-cleanup', deleteStalePolicies)
      .then((removed) => {
        if (removed.length > 0) logger.info({ removed: removed.length }, 'removed policies naming no app');
      })
      .catch((err: unknown) => logger.warn({ err }, 'the policy cleanup failed'));
  }, POLICY_CLEANUP_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Packages no app uses (apps deleted or given new bits collect theirs at once), and stale uploads. */
function sweepPackagesRegularly(store: Store, logger: Logger): () => void {
  const timer = setInterval(() => {
    store
      .write('system:package-sweep', (w) => sweepPackages(w))
      .then((removed) => {
        if (removed > 0) logger.info({ removed }, 'removed unused packages and stale uploads');
      })
      .catch((err: unknown) => logger.warn({ err }, 'the package sweep failed'));
  }, PACKAGE_SWEEP_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

// What an app sees inside its container: Cloud Foundry's environment, its credentials at
// /etc/cf-instance-credentials, the platform CA in the system trust store, and the cell's DNS.
import type { BindMount } from '../runtime/container.js';
import { routeName } from '../model/names.js';
import { APP_HTTP_PORT } from '../model/ports.js';
import type { StreamApp } from '../model/types.js';
import type { CellPaths } from './paths.js';
import type { LocalInstance } from './local.js';
import type { World } from './world.js';

export const APP_DIR = '/home/vcap/app';
const CREDENTIALS_DIR = '/etc/cf-instance-credentials';
const SYSTEM_CERTIFICATES_DIR = '/etc/cf-system-certificates';
const PLATFORM_CA_FILE = `${SYSTEM_CERTIFICATES_DIR}/weft-ca.crt`;

/** `appDir` is the app's unpacked package in the cell's cache, shared read-only by its instances. */
export function containerMounts(paths: CellPaths, appDir: string, instanceGuid: string): BindMount[] {
  return [
    { source: appDir, target: APP_DIR, readOnly: true },
    { source: paths.credentialsDir(instanceGuid), target: CREDENTIALS_DIR, readOnly: true },
    { source: paths.trustBundle, target: '/etc/ssl/certs/ca-certificates.crt', readOnly: true },
    { source: paths.systemCertificates, target: SYSTEM_CERTIFICATES_DIR, readOnly: true },
    { source: paths.resolvConf, target: '/etc/resolv.conf', readOnly: true },
  ];
}

/** The platform's variables, then the app's own env (which the cell fetched for this instance). */
export function containerEnv(
  world: World,
  app: StreamApp,
  appEnv: Record<string, string>,
  local: LocalInstance,
): Record<string, string> {
  const space = world.tables.space.get(app.spaceGuid);
  const org = space ? world.tables.org.get(space.orgGuid) : undefined;
  const uris: string[] = [];
  for (const r of world.tables.route.values()) {
    const domain = world.tables.domain.get(r.domainGuid);
    if (domain && r.appGuids.includes(app.guid)) uris.push(routeName(r.host, domain.name));
  }
  const vcapApplication = {
    application_id: app.guid,
    application_name: app.name,
    application_uris: uris,
    space_id: app.spaceGuid,
    space_name: space?.name ?? '',
    organization_id: space?.orgGuid ?? '',
    organization_name: org?.name ?? '',
    instance_id: local.guid,
    instance_index: local.index,
    limits: { mem: app.memoryMb },
  };
  return {
    HOME: APP_DIR,
    PORT: String(app.ports[0] ?? APP_HTTP_PORT),
    CF_INSTANCE_INDEX: String(local.index),
    CF_INSTANCE_GUID: local.guid,
    CF_INSTANCE_IP: local.ip,
    CF_INSTANCE_INTERNAL_IP: local.ip,
    CF_INSTANCE_CERT: `${CREDENTIALS_DIR}/instance.crt`,
    CF_INSTANCE_KEY: `${CREDENTIALS_DIR}/instance.key`,
    CF_SYSTEM_CERT_PATH: SYSTEM_CERTIFICATES_DIR,
    NODE_EXTRA_CA_CERTS: PLATFORM_CA_FILE,
    VCAP_APPLICATION: JSON.stringify(vcapApplication),
    ...appEnv,
  };
}

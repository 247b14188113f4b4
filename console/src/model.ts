// Everything the console shows, read from the API with the user's token: what their scope lets them see.
import type { App, Domain, Instance, Org, Route, Space } from '../../src/contract/resources.js';
import type { PolicyList, WirePolicy } from '../../src/contract/policies.js';
import type { IssuedCertificateInfo } from '../../src/contract/certificates.js';
import { apiGet } from './session.js';

export interface Identity {
  name: string;
  role: string;
}

export interface Model {
  you: Identity;
  orgs: Org[];
  spaces: Space[];
  apps: App[];
  instances: Map<string, Instance[]>;
  certificates: Map<string, IssuedCertificateInfo[]>;
  routes: Route[];
  domains: Domain[];
  policies: WirePolicy[];
}

export async function loadModel(token: string): Promise<Model> {
  const get = <T>(path: string) => apiGet<T>(token, path);
  const [info, orgs, spaces, apps, routes, domains, policies] = await Promise.all([
    get<{ you: Identity }>('/v1/info'),
    get<Org[]>('/v1/orgs'),
    get<Space[]>('/v1/spaces'),
    get<App[]>('/v1/apps'),
    get<Route[]>('/v1/routes'),
    get<Domain[]>('/v1/domains'),
    get<PolicyList>('/networking/v1/external/policies'),
  ]);
  const perApp = await Promise.all(
    apps.map(
      async (a) =>
        [
          a.guid,
          await get<Instance[]>(`/v1/apps/${encodeURIComponent(a.guid)}/instances`),
          await get<IssuedCertificateInfo[]>(`/v1/apps/${encodeURIComponent(a.guid)}/certificates`),
        ] as const,
    ),
  );
  return {
    you: info.you,
    orgs,
    spaces,
    apps,
    instances: new Map(perApp.map(([guid, instances]) => [guid, instances])),
    certificates: new Map(perApp.map(([guid, , certificates]) => [guid, certificates])),
    routes,
    domains,
    policies: policies.policies,
  };
}

/** The internal and external names mapped to an app, as HOST.DOMAIN. */
export function routeNamesOf(model: Pick<Model, 'routes' | 'domains'>, appGuid: string): string[] {
  const domains = new Map(model.domains.map((d) => [d.guid, d.name]));
  return model.routes
    .filter((r) => r.appGuids.includes(appGuid))
    .map((r) => `${r.host}.${domains.get(r.domainGuid) ?? r.domainGuid}`)
    .sort();
}

// What most commands start from: the logged-in client and the targeted org and space.
import type { App, Domain } from '../../model/types.js';
import { parseApiUrls } from '../../endpoints/api-urls.js';
import { ApiClient } from '../client.js';
import { loadConfig, type CliConfig, type Named } from '../config.js';

export interface Session {
  config: CliConfig;
  client: ApiClient;
  /** Who the token belongs to, for "... as admin..." lines. */
  user: string;
}

export interface Target {
  org: Named;
  space: Named;
}

export function openSession(): Session {
  const config = loadConfig();
  if (config.api === undefined)
    throw new Error("No API endpoint set. Use 'weft api URL' or 'weft login -a URL'");
  parseApiUrls(config.api, 'API endpoint');
  if (config.caCert === undefined)
    throw new Error(`No CA trusted for ${config.api}. Use 'weft api ${config.api}' to trust it`);
  if (config.token === undefined) throw new Error("Not logged in. Use 'weft login' to log in");
  return {
    config,
    client: new ApiClient(config.api, config.caCert, config.token),
    user: config.user ?? 'unknown',
  };
}

export function requireTarget(s: Session): Target {
  const { org, space } = s.config;
  if (org === undefined) throw new Error("No org targeted, use 'weft target -o ORG'");
  if (space === undefined) throw new Error("No space targeted, use 'weft target -s SPACE'");
  return { org, space };
}

/** "org o1 / space s1", as cf names a target in its progress lines. */
export function targetName(t: Target): string {
  return `org ${t.org.name} / space ${t.space.name}`;
}

export function inTarget(t: Target): string {
  return `in ${targetName(t)}`;
}

export async function findOrg(s: Session, name: string): Promise<Named> {
  const org = (await s.client.orgs()).find((o) => o.name === name);
  if (!org) throw new Error(`Org '${name}' not found${hiddenHint(s)}`);
  return org;
}

export async function findSpace(s: Session, org: Named, name: string): Promise<Named> {
  const space = (await s.client.spaces(org.guid)).find((sp) => sp.name === name);
  if (!space) throw new Error(`Space '${name}' not found in org '${org.name}'${hiddenHint(s)}`);
  return space;
}

export async function findApp(s: Session, space: Named, name: string): Promise<App> {
  const [app] = await s.client.apps({ spaceGuid: space.guid, name });
  if (!app) throw new Error(`App '${name}' not found in space '${space.name}'`);
  return app;
}

export async function findDomain(s: Session, name: string): Promise<Domain> {
  const domain = (await s.client.domains()).find((d) => d.name === name);
  if (!domain) throw new Error(`Domain '${name}' not found; 'weft domains' lists them`);
  return domain;
}

/** A space developer sees only their own spaces, so "not found" may mean "not yours". */
function hiddenHint(s: Session): string {
  return s.config.role === 'space_developer' ? ' (or your token is not a developer there)' : '';
}

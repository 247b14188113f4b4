// A small typed client for the control plane's API, as the CLI uses it: HTTPS, verified against the
// platform CA the CLI pinned.
import { certificateFailure, pinnedFetch, type PinnedFetch } from '../ca/pinned-fetch.js';
import type { App, AppState, Domain, Instance, Org, Route, Space } from '../model/types.js';
import type { WirePolicy } from '../policy/wire.js';
import type { AuditEvent } from '../store/events.js';

export interface ApiInfo {
  name: string;
  overlayCidr: string | null;
  you: { name: string; role: string; spaceGuids: string[] };
}

export interface AppCreate {
  name: string;
  spaceGuid: string;
  command: string;
  path: string;
  instances?: number;
  memoryMb?: number;
  env?: Record<string, string>;
  state?: AppState;
}

export type AppUpdate = Partial<Omit<AppCreate, 'name' | 'spaceGuid'>> & { mtls?: boolean };

export interface TokenInfo {
  name: string;
  role: string;
  spaceGuids: string[];
  cellId: string | null;
  expiresAt: string | null;
  createdAt: string;
}

export interface TokenCreate {
  name: string;
  role: string;
  spaceGuids: string[];
  cellId?: string;
  expiresAt?: string;
}

export type CreatedToken = Omit<TokenInfo, 'createdAt'> & { token: string };

export interface SpaceQuota {
  apps: number;
  instances: number;
  memoryMb: number;
  routes: number;
  policies: number;
  envBytes: number;
}

export interface SpaceDetail {
  guid: string;
  name: string;
  org: { guid: string; name: string };
  quota: SpaceQuota;
  usage: SpaceQuota;
}

type Query = Record<string, string | undefined>;

export class ApiClient {
  private readonly fetch: PinnedFetch;

  constructor(
    readonly baseUrl: string,
    caPem: string,
    private readonly token?: string,
  ) {
    this.fetch = pinnedFetch(caPem);
  }

  info = () => this.request<ApiInfo>('GET', '/v1/info');
  healthy = () => this.request<{ ok: boolean }>('GET', '/healthz');

  orgs = () => this.request<Org[]>('GET', '/v1/orgs');
  createOrg = (name: string) => this.request<Org>('POST', '/v1/orgs', { name });
  deleteOrg = (guid: string) => this.request<void>('DELETE', `/v1/orgs/${guid}`);
  spaces = (orgGuid?: string) => this.request<Space[]>('GET', '/v1/spaces', undefined, { org_guid: orgGuid });
  createSpace = (name: string, orgGuid: string) =>
    this.request<Space>('POST', '/v1/spaces', { name, orgGuid });
  deleteSpace = (guid: string) => this.request<void>('DELETE', `/v1/spaces/${guid}`);
  space = (guid: string) => this.request<SpaceDetail>('GET', `/v1/spaces/${guid}`);
  setSpaceQuota = (guid: string, quota: Partial<SpaceQuota>) =>
    this.request<SpaceDetail>('PUT', `/v1/spaces/${guid}/quota`, quota);

  apps = (query: { spaceGuid?: string; name?: string } = {}) =>
    this.request<App[]>('GET', '/v1/apps', undefined, { space_guid: query.spaceGuid, name: query.name });
  createApp = (spec: AppCreate) => this.request<App>('POST', '/v1/apps', spec);
  updateApp = (guid: string, patch: AppUpdate) => this.request<App>('PATCH', `/v1/apps/${guid}`, patch);
  restartApp = (guid: string) => this.request<App>('POST', `/v1/apps/${guid}/restart`);
  deleteApp = (guid: string) => this.request<void>('DELETE', `/v1/apps/${guid}`);
  instances = (guid: string) => this.request<Instance[]>('GET', `/v1/apps/${guid}/instances`);

  domains = () => this.request<Domain[]>('GET', '/v1/domains');
  createDomain = (name: string, internal: boolean) =>
    this.request<Domain>('POST', '/v1/domains', { name, internal });
  deleteDomain = (guid: string) => this.request<void>('DELETE', `/v1/domains/${guid}`);
  routes = () => this.request<Route[]>('GET', '/v1/routes');
  findOrCreateRoute = (host: string, domainGuid: string, spaceGuid: string) =>
    this.request<Route>('POST', '/v1/routes', { host, domainGuid, spaceGuid });
  deleteRoute = (guid: string) => this.request<void>('DELETE', `/v1/routes/${guid}`);
  mapRoute = (routeGuid: string, appGuid: string) =>
    this.request<Route>('PUT', `/v1/routes/${routeGuid}/apps/${appGuid}`);
  unmapRoute = (routeGuid: string, appGuid: string) =>
    this.request<Route>('DELETE', `/v1/routes/${routeGuid}/apps/${appGuid}`);

  policies = (query: { sourceIds?: string[] } = {}) =>
    this.request<{ total_policies: number; policies: WirePolicy[] }>(
      'GET',
      '/networking/v1/external/policies',
      undefined,
      { source_id: query.sourceIds?.join(',') },
    );
  addPolicies = (policies: WirePolicy[]) =>
    this.request<object>('POST', '/networking/v1/external/policies', { policies });
  removePolicies = (policies: WirePolicy[]) =>
    this.request<object>('POST', '/networking/v1/external/policies/delete', { policies });

  events = (limit: number) =>
    this.request<AuditEvent[]>('GET', '/v1/events', undefined, { limit: String(limit) });
  createToken = (spec: TokenCreate) => this.request<CreatedToken>('POST', '/v1/tokens', spec);
  tokens = () => this.request<TokenInfo[]>('GET', '/v1/tokens');
  revokeToken = (name: string) => this.request<void>('DELETE', `/v1/tokens/${encodeURIComponent(name)}`);

  private async request<T>(method: string, path: string, body?: unknown, query: Query = {}): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Awaited<ReturnType<PinnedFetch>>;
    try {
      res = await this.fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      const unverified = certificateFailure(err);
      if (unverified !== undefined) {
        throw new Error(
          `the weft API at ${this.baseUrl} presented a certificate the pinned CA does not verify (${unverified}); ` +
            `if its CA changed, pin the new one with 'weft api ${this.baseUrl} --ca-cert FILE'`,
        );
      }
      throw new Error(
        `cannot reach the weft API at ${this.baseUrl}; is \`weft up\` or \`weft server\` running? (${networkCause(err)})`,
      );
    }
    const text = await res.text();
    // An answer that is not a success fails the command with the server's own words.
    if (!res.ok) throw new Error(explain(res.status, serverMessage(text) ?? res.statusText));
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}

function serverMessage(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : undefined;
  } catch {
    return text.trim() === '' ? undefined : text.trim();
  }
}

function explain(status: number, message: string): string {
  return status === 401 ? `${message}; use 'weft login' with a valid token` : message;
}

function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

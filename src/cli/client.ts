// A small typed client for the control plane's API, as the CLI uses it: HTTPS, verified against the
// platform CA the CLI pinned.
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { certificateFailure, pinnedFetch, type PinnedFetch } from '../ca/pinned-fetch.js';
import { parseApiUrls } from '../endpoints/api-urls.js';
import { anotherServerMayTry } from '../endpoints/failure.js';
import { ApiEndpoints, CONNECT_TIMEOUT_MS } from '../endpoints/failover.js';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  App,
  AuditEvent,
  CellStatus,
  CreatedToken,
  Domain,
  errorMessage,
  Health,
  Info,
  Instance,
  Org,
  Route,
  Space,
  SpaceView,
  TokenInfo,
  type AppCreate,
  type AppPatch,
  type Quota,
  type TokenCreate,
} from '../contract/api.js';
import { FlowPage, type Verdict } from '../contract/flows.js';
import { Explanation, type ExplainQuery } from '../contract/explain.js';
import { checked } from '../contract/check.js';
import { PolicyList, type WirePolicy } from '../contract/policies.js';

/** A 204 answer: no body. */
const Nothing = Type.Void();
/** The policy API's answer to a write: an empty object, as Cloud Foundry's. */
const Empty = Type.Object({});

type Query = Record<string, string | undefined>;

export class ApiClient {
  private readonly fetch: PinnedFetch;
  private readonly servers: ApiEndpoints;

  /** `baseUrl` names one server, or several of one control plane as URL1,URL2: tried in order. */
  constructor(
    readonly baseUrl: string,
    caPem: string,
    private readonly token?: string,
  ) {
    this.servers = new ApiEndpoints(parseApiUrls(baseUrl, 'API endpoint'));
    const several = this.servers.urls.length > 1;
    this.fetch = pinnedFetch(caPem, { connectTimeoutMs: several ? CONNECT_TIMEOUT_MS : undefined });
  }

  info = () => this.request(Info, 'GET', '/v1/info');
  healthy = () => this.request(Health, 'GET', '/healthz');

  orgs = () => this.request(Type.Array(Org), 'GET', '/v1/orgs');
  createOrg = (name: string) => this.request(Org, 'POST', '/v1/orgs', { name });
  deleteOrg = (guid: string) => this.request(Nothing, 'DELETE', `/v1/orgs/${guid}`);
  spaces = (orgGuid?: string) =>
    this.request(Type.Array(Space), 'GET', '/v1/spaces', undefined, { org_guid: orgGuid });
  createSpace = (name: string, orgGuid: string) =>
    this.request(Space, 'POST', '/v1/spaces', { name, orgGuid });
  deleteSpace = (guid: string) => this.request(Nothing, 'DELETE', `/v1/spaces/${guid}`);
  space = (guid: string) => this.request(SpaceView, 'GET', `/v1/spaces/${guid}`);
  setSpaceQuota = (guid: string, quota: Partial<Quota>) =>
    this.request(SpaceView, 'PUT', `/v1/spaces/${guid}/quota`, quota);

  apps = (query: { spaceGuid?: string; name?: string } = {}) =>
    this.request(Type.Array(App), 'GET', '/v1/apps', undefined, {
      space_guid: query.spaceGuid,
      name: query.name,
    });
  createApp = (spec: AppCreate) => this.request(App, 'POST', '/v1/apps', spec);
  updateApp = (guid: string, patch: AppPatch) => this.request(App, 'PATCH', `/v1/apps/${guid}`, patch);
  restartApp = (guid: string) => this.request(App, 'POST', `/v1/apps/${guid}/restart`);
  deleteApp = (guid: string) => this.request(Nothing, 'DELETE', `/v1/apps/${guid}`);
  /** Uploads the app's package (see package/pack.ts), streamed from `file`. */
  uploadPackage = (guid: string, file: string) =>
    this.request(App, 'PUT', `/v1/apps/${guid}/package`, undefined, {}, () => fs.createReadStream(file));
  instances = (guid: string) => this.request(Type.Array(Instance), 'GET', `/v1/apps/${guid}/instances`);

  domains = () => this.request(Type.Array(Domain), 'GET', '/v1/domains');
  createDomain = (name: string, internal: boolean) =>
    this.request(Domain, 'POST', '/v1/domains', { name, internal });
  deleteDomain = (guid: string) => this.request(Nothing, 'DELETE', `/v1/domains/${guid}`);
  routes = () => this.request(Type.Array(Route), 'GET', '/v1/routes');
  findOrCreateRoute = (host: string, domainGuid: string, spaceGuid: string) =>
    this.request(Route, 'POST', '/v1/routes', { host, domainGuid, spaceGuid });
  deleteRoute = (guid: string) => this.request(Nothing, 'DELETE', `/v1/routes/${guid}`);
  mapRoute = (routeGuid: string, appGuid: string) =>
    this.request(Route, 'PUT', `/v1/routes/${routeGuid}/apps/${appGuid}`);
  unmapRoute = (routeGuid: string, appGuid: string) =>
    this.request(Route, 'DELETE', `/v1/routes/${routeGuid}/apps/${appGuid}`);

  policies = (query: { sourceIds?: string[] } = {}) =>
    this.request(PolicyList, 'GET', '/networking/v1/external/policies', undefined, {
      source_id: query.sourceIds?.join(','),
    });
  addPolicies = (policies: WirePolicy[]) =>
    this.request(Empty, 'POST', '/networking/v1/external/policies', { policies });
  removePolicies = (policies: WirePolicy[]) =>
    this.request(Empty, 'POST', '/networking/v1/external/policies/delete', { policies });

  flows = (query: { app?: string; verdict?: Verdict; since?: number; limit?: number } = {}) =>
    this.request(FlowPage, 'GET', '/v1/flows', undefined, {
      app: query.app,
      verdict: query.verdict,
      since: query.since?.toString(),
      limit: query.limit?.toString(),
    });

  explain = (query: ExplainQuery) =>
    this.request(Explanation, 'GET', '/v1/explain', undefined, {
      source: query.source,
      destination: query.destination,
      protocol: query.protocol,
      port: query.port?.toString(),
      hostname: query.hostname,
      probe: query.probe === true ? 'true' : undefined,
    });

  events = (limit: number) =>
    this.request(Type.Array(AuditEvent), 'GET', '/v1/events', undefined, { limit: String(limit) });
  createToken = (spec: TokenCreate) => this.request(CreatedToken, 'POST', '/v1/tokens', spec);
  tokens = () => this.request(Type.Array(TokenInfo), 'GET', '/v1/tokens');
  cells = () => this.request(Type.Array(CellStatus), 'GET', '/v1/cells');
  revokeToken = (name: string) => this.request(Nothing, 'DELETE', `/v1/tokens/${encodeURIComponent(name)}`);

  /** Calls the API and checks its answer against `schema`: a server that answers otherwise is refused. */
  private async request<T extends TSchema>(
    schema: T,
    method: string,
    path: string,
    body?: unknown,
    query: Query = {},
    upload?: () => Readable,
  ): Promise<Static<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (upload) headers['content-type'] = 'application/gzip';
    const send = async (base: string) => {
      const url = new URL(path, base);
      for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
      try {
        return await this.fetch(url, {
          method,
          headers,
          body: upload ? upload() : body === undefined ? undefined : JSON.stringify(body),
          ...(upload ? { duplex: 'half' as const } : {}),
        });
      } catch (err) {
        throw unreachable(err, base, this.baseUrl);
      }
    };
    const res = await this.servers.call(send, (err) => anotherServerMayTry(err, method));
    const text = await res.text();
    // An answer that is not a success fails the command with the server's own words.
    if (!res.ok) throw new Error(explain(res.status, errorMessage(text) ?? res.statusText));
    return checked(schema, text === '' ? undefined : JSON.parse(text), `${method} ${path}`);
  }
}

function explain(status: number, message: string): string {
  return status === 401 ? `${message}; use 'weft login' with a valid token` : message;
}

function unreachable(err: unknown, base: string, configured: string): Error {
  const unverified = certificateFailure(err);
  if (unverified !== undefined) {
    return new Error(
      `the weft API at ${base} presented a certificate the pinned CA does not verify (${unverified}); ` +
        `if its CA changed, pin the new one with 'weft api ${configured} --ca-cert FILE'`,
      { cause: err },
    );
  }
  return new Error(
    `cannot reach the weft API at ${base}; is \`weft up\` or \`weft server\` running? (${networkCause(err)})`,
    { cause: err },
  );
}

function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

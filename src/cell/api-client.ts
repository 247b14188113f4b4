// The calls a cell makes to the control plane, authenticated with the cell's token, over HTTPS that
// only the platform CA may vouch for.
import { Readable } from 'node:stream';
import type { Static, TSchema } from '@sinclair/typebox';
import { fetchFailure, type PinnedFetch } from '../ca/pinned-fetch.js';
import {
  CaCertificate,
  Cell,
  Instance,
  InstanceEnv,
  errorMessage,
  IssuedCertificate,
  type InstanceReport,
} from '../contract/api.js';
import { checked } from '../contract/check.js';
import { anotherServerMayTry } from '../endpoints/failure.js';
import type { ApiEndpoints } from '../endpoints/failover.js';
import { FlowReceipt, type ObservedFlow } from '../contract/flows.js';
import { AnswerTaken, type CellAnswer } from '../contract/inspect.js';

export type { IssuedCertificate } from '../contract/api.js';

/** A package may be large: its download gets longer than a call, but not forever. */
const PACKAGE_FETCH_TIMEOUT_MS = 10 * 60 * 1000;

export class CellApiClient {
  constructor(
    private readonly api: ApiEndpoints,
    private readonly fetch: PinnedFetch,
    private readonly token: string,
    private readonly cellId: string,
  ) {}

  register(hostIp: string): Promise<Cell> {
    return this.call(Cell, 'PUT', `/v1/cells/${this.cellId}`, { hostIp });
  }

  /** A heartbeat; 'unknown' when the control plane declared this cell lost or no longer has it. */
  async presence(running: number, revision: number): Promise<'known' | 'unknown'> {
    const path = `/v1/cells/${this.cellId}/presence`;
    const res = await this.attempt('PUT', path, (url) =>
      this.fetch(`${url}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ running, revision }),
        signal: AbortSignal.timeout(10_000),
      }),
    );
    const text = await res.text();
    if (res.status === 409 || res.status === 404) return 'unknown';
    if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${errorMessage(text) ?? res.statusText}`);
    return 'known';
  }

  async report(
    instanceGuid: string,
    state: InstanceReport['state'],
    ip: string | null,
    stack?: string,
  ): Promise<void> {
    const report: InstanceReport = { state, ip, ...(stack !== undefined ? { stack } : {}) };
    await this.call(Instance, 'PUT', `/v1/cells/${this.cellId}/instances/${instanceGuid}`, report);
  }

  certificate(
    instanceGuid: string,
    kind: 'c2c' | 'identity',
    csr: string,
    ip: string,
  ): Promise<IssuedCertificate> {
    return this.call(
      IssuedCertificate,
      'POST',
      `/v1/cells/${this.cellId}/instances/${instanceGuid}/certificates`,
      {
        kind,
        csr,
        ip,
      },
    );
  }

  async instanceEnv(instanceGuid: string): Promise<Record<string, string>> {
    const path = `/v1/cells/${this.cellId}/instances/${instanceGuid}/env`;
    return (await this.call(InstanceEnv, 'GET', path)).env;
  }

  async reportFlows(flows: ObservedFlow[]): Promise<void> {
    await this.call(FlowReceipt, 'POST', `/v1/cells/${this.cellId}/flows`, { flows });
  }

  async answer(questionId: string, answer: CellAnswer): Promise<void> {
    await this.call(AnswerTaken, 'POST', `/v1/cells/${this.cellId}/answers/${questionId}`, answer);
  }

  /** The package's bytes as they arrive; the caller checks them against the digest. */
  async fetchPackage(digest: string, signal: AbortSignal): Promise<Readable> {
    const path = `/v1/cells/${this.cellId}/packages/${digest}`;
    const res = await this.attempt('GET', path, (url) =>
      this.fetch(`${url}${path}`, {
        headers: { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.any([signal, AbortSignal.timeout(PACKAGE_FETCH_TIMEOUT_MS)]),
      }),
    );
    if (!res.ok || res.body === null) {
      const text = await res.text();
      throw new Error(`GET ${path}: ${res.status} ${errorMessage(text) ?? res.statusText}`);
    }
    return Readable.fromWeb(res.body);
  }

  /** Registers a container an outside runtime started as an instance of the app, on this cell. */
  joinExternal(appGuid: string): Promise<Instance> {
    return this.call(Instance, 'POST', `/v1/cells/${this.cellId}/external-instances`, { appGuid });
  }

  async leaveExternal(instanceGuid: string): Promise<void> {
    await this.send('DELETE', `/v1/cells/${this.cellId}/external-instances/${instanceGuid}`);
  }

  async caCertificate(): Promise<string> {
    return (await this.call(CaCertificate, 'GET', '/v1/ca')).certificate;
  }

  /** Calls the API; an answer that does not match `schema` is refused, never cast. */
  private async call<T extends TSchema>(
    schema: T,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Static<T>> {
    const text = await this.send(method, path, body);
    return checked(schema, JSON.parse(text), `${method} ${path}`);
  }

  private async send(method: string, path: string, body?: unknown): Promise<string> {
    const res = await this.attempt(method, path, (url) =>
      this.fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      }),
    );
    const text = await res.text();
    if (!res.ok) {
      throw new Error(`${method} ${path}: ${res.status} ${errorMessage(text) ?? res.statusText}`);
    }
    return text;
  }

  /** Sends the request to the control plane's servers in turn until one answers. */
  private attempt(method: string, path: string, request: (url: string) => ReturnType<PinnedFetch>) {
    return this.api.call(
      (url) =>
        request(url).catch((err: unknown) => {
          throw fetchFailure(err, `${url}${path}`);
        }),
      (err) => anotherServerMayTry(err, method),
    );
  }
}

// The calls a cell makes to the control plane, authenticated with the cell's token, over HTTPS that
// only the platform CA may vouch for.
import { fetchFailure, type PinnedFetch } from '../ca/pinned-fetch.js';
import type { Cell, InstanceState } from '../model/types.js';

export interface IssuedCertificate {
  certificate: string;
  ca: string;
  names: string[];
}

export class CellApiClient {
  constructor(
    readonly url: string,
    private readonly fetch: PinnedFetch,
    private readonly token: string,
    private readonly cellId: string,
  ) {}

  register(hostIp: string): Promise<Cell> {
    return this.call('PUT', `/v1/cells/${this.cellId}`, { hostIp });
  }

  async report(instanceGuid: string, state: InstanceState, ip: string | null): Promise<void> {
    await this.call('PUT', `/v1/cells/${this.cellId}/instances/${instanceGuid}`, { state, ip });
  }

  certificate(
    instanceGuid: string,
    kind: 'c2c' | 'identity',
    csr: string,
    ip: string,
  ): Promise<IssuedCertificate> {
    return this.call('POST', `/v1/cells/${this.cellId}/instances/${instanceGuid}/certificates`, {
      kind,
      csr,
      ip,
    });
  }

  async instanceEnv(instanceGuid: string): Promise<Record<string, string>> {
    const path = `/v1/cells/${this.cellId}/instances/${instanceGuid}/env`;
    return (await this.call<{ env: Record<string, string> }>('GET', path)).env;
  }

  async caCertificate(): Promise<string> {
    return (await this.call<{ certificate: string }>('GET', '/v1/ca')).certificate;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    }).catch((err: unknown) => {
      throw fetchFailure(err, this.url);
    });
    const text = await res.text();
    if (!res.ok) {
      const message = (JSON.parse(text || '{}') as { error?: string }).error ?? text;
      throw new Error(`${method} ${path}: ${res.status} ${message}`);
    }
    return JSON.parse(text) as T;
  }
}

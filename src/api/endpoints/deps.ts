// What the endpoint plugins are given when the server registers them (fastify plugin options).
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import type { Ca } from '../../ca/index.js';
import type { CellQuestions } from '../cell-questions.js';
import type { SessionBroker } from '../sessions.js';
import type { Store } from '../../store/store.js';
import type { ApiOptions } from '../options.js';

export interface EndpointDeps {
  store: Store;
  options: ApiOptions;
  metrics: Registry;
  /** Metrics of another thread of this process, appended to /metrics: `weft up`'s cell. */
  moreMetrics: (() => Promise<string>) | null;
  ca: Ca;
  /** Questions to the cells following this server, answered from their hosts (weft explain). */
  questions: CellQuestions;
  /** `weft ssh` and `weft logs` sessions, spliced between callers and the cells that dial back. */
  sessions: SessionBroker;
}

export type Endpoints = FastifyPluginCallbackTypebox<EndpointDeps>;

// What the endpoint plugins are given when the server registers them (fastify plugin options).
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import type { Ca } from '../../ca/index.js';
import type { CellQuestions } from '../cell-questions.js';
import type { Store } from '../../store/store.js';
import type { ApiOptions } from '../options.js';

export interface EndpointDeps {
  store: Store;
  options: ApiOptions;
  metrics: Registry;
  ca: Ca;
  /** Questions to the cells following this server, answered from their hosts (weft explain). */
  questions: CellQuestions;
}

export type Endpoints = FastifyPluginCallbackTypebox<EndpointDeps>;

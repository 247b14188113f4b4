// `weft explain`: the question (who reaches whom, how) and the answer, layer by layer, in words.
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Guid } from './api.js';
import { HostName } from './inspect.js';

export const ExplainQuery = Closed({
  source: Guid,
  destination: Guid,
  protocol: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp')])),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** The name the source dials, e.g. app-b.apps.internal. */
  hostname: Type.Optional(HostName),
  /** Also send one real connection from a source instance and report where it stopped. */
  probe: Type.Optional(Type.Boolean()),
});
export type ExplainQuery = Static<typeof ExplainQuery>;

export const StepStatus = Type.Union([
  Type.Literal('ok'),
  Type.Literal('fail'),
  /** Could not be checked (a cell did not answer, no instance runs yet). */
  Type.Literal('unknown'),
]);

export const ExplainStep = Type.Object({
  layer: Type.Union([
    Type.Literal('instances'),
    Type.Literal('dns'),
    Type.Literal('policy'),
    Type.Literal('kernel'),
    Type.Literal('certificate'),
    Type.Literal('mtls'),
    Type.Literal('probe'),
  ]),
  status: StepStatus,
  text: Type.String(),
});
export type ExplainStep = Static<typeof ExplainStep>;

export const Explanation = Type.Object({
  /** allowed: every layer lets it through; denied: one stops it; unknown: none stops it, some could not be checked. */
  verdict: Type.Union([Type.Literal('allowed'), Type.Literal('denied'), Type.Literal('unknown')]),
  summary: Type.String(),
  steps: Type.Array(ExplainStep),
});
export type Explanation = Static<typeof Explanation>;

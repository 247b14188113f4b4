// Flow records: what a cell's kernel logged (addresses only) and what the control plane serves once it has
// named the apps at both ends.
import { Type, type Static } from '@sinclair/typebox';
import { CellId, Closed, Guid } from './api.js';

const Ip = Type.String({ format: 'ipv4' });
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Protocol = Type.Union([Type.Literal('tcp'), Type.Literal('udp')]);
/** DENIED: a new flow no policy allows (NFLOG); ALLOWED: a new flow let through; ENDED: its conntrack entry went. */
const Verdict = Type.Union([Type.Literal('DENIED'), Type.Literal('ALLOWED'), Type.Literal('ENDED')]);
export type Verdict = Static<typeof Verdict>;

/** At most this many records in one report from a cell. */
export const MAX_FLOWS_PER_REPORT = 500;

/** A flow as a cell's kernel logged it: denied by the policy check, or a connection's start and end. */
export const ObservedFlow = Closed({
  time: Type.String({ format: 'date-time' }),
  /** Absent: DENIED, as cells that log only denials send it. */
  verdict: Type.Optional(Verdict),
  protocol: Protocol,
  srcIp: Ip,
  srcPort: Port,
  dstIp: Ip,
  dstPort: Port,
});
export type ObservedFlow = Static<typeof ObservedFlow>;

export const FlowReport = Closed({ flows: Type.Array(ObservedFlow, { maxItems: MAX_FLOWS_PER_REPORT }) });
export type FlowReport = Static<typeof FlowReport>;

/** How many of a report's records the control plane kept (those touching the reporting cell's subnet). */
export const FlowReceipt = Closed({ kept: Type.Integer({ minimum: 0 }) });

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** One end of a flow; the names are null for an address no instance holds. */
export const FlowEndpoint = Type.Object({
  ip: Ip,
  port: Port,
  appGuid: Nullable(Guid),
  appName: Nullable(Type.String()),
  spaceGuid: Nullable(Guid),
  spaceName: Nullable(Type.String()),
  orgGuid: Nullable(Guid),
  orgName: Nullable(Type.String()),
  instanceGuid: Nullable(Guid),
  instanceIndex: Nullable(Type.Integer({ minimum: 0 })),
});
export type FlowEndpoint = Static<typeof FlowEndpoint>;

export const Flow = Type.Object({
  /** Increases with every record the control plane keeps; `since` pages on it. */
  seq: Type.Integer({ minimum: 1 }),
  time: Type.String(),
  cellId: CellId,
  verdict: Verdict,
  protocol: Protocol,
  src: FlowEndpoint,
  dst: FlowEndpoint,
  /** For ALLOWED and ENDED flows: the policy between the two apps that covers it, when one does. */
  policy: Type.Optional(Nullable(Closed({ protocol: Protocol, startPort: Port, endPort: Port }))),
});
export type Flow = Static<typeof Flow>;

export const FlowQuery = Closed({
  /** Flows from or to this app. */
  app: Type.Optional(Guid),
  verdict: Type.Optional(Verdict),
  since: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
export type FlowQuery = Static<typeof FlowQuery>;

export const FlowPage = Type.Object({
  flows: Type.Array(Flow),
  /** Ask again with since=next for what comes after. */
  next: Type.Integer({ minimum: 0 }),
});
export type FlowPage = Static<typeof FlowPage>;

// Questions the control plane puts to a cell about what its host holds right now, read back from the
// kernel and the proxy rather than assumed from the database (`weft explain`), and the cell's answers.
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Guid } from './api.js';

const Ip = Type.String({ format: 'ipv4' });
const Protocol = Type.Union([Type.Literal('tcp'), Type.Literal('udp')]);
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const MAX_ITEMS = 64;
/** A DNS name as a client dials it: letters, digits, dots and hyphens. */
export const HostName = Type.String({ maxLength: 253, pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$' });

export const CellQuestion = Closed({
  /** Would the kernel's live table let SRC reach DST on PROTOCOL/PORT as a new flow? */
  flows: Type.Array(Closed({ srcIp: Ip, dstIp: Ip, protocol: Protocol, port: Port }), {
    maxItems: MAX_ITEMS,
  }),
  /** Which names the 61443 certificate each of these instances serves now carries. */
  certificates: Type.Array(Guid, { maxItems: MAX_ITEMS }),
  /** Send one real connection from this instance of the cell to DST_IP:PORT and trace it through nftables. */
  probe: Type.Optional(
    Closed({
      instanceGuid: Guid,
      dstIp: Ip,
      protocol: Protocol,
      port: Port,
      /** The name to dial on 61443 (TLS server name, checked against the certificate). */
      hostname: Type.Optional(HostName),
    }),
  ),
});
export type CellQuestion = Static<typeof CellQuestion>;

const Tag = Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.Null()]);

/** How a probe's connection ended, as its client saw it. */
export const ProbeOutcome = Type.Union([
  Type.Literal('connected'),
  Type.Literal('refused'),
  Type.Literal('timed-out'),
  Type.Literal('tls-refused'),
  Type.Literal('certificate-rejected'),
  /** UDP: the datagram left; nothing answers to say more. */
  Type.Literal('sent'),
  Type.Literal('error'),
]);
export type ProbeOutcome = Static<typeof ProbeOutcome>;

/** One rule or chain policy that gave the probe's first packet a verdict, from `nft monitor trace`. */
export const TraceVerdict = Closed({
  table: Type.String({ maxLength: 64 }),
  chain: Type.String({ maxLength: 64 }),
  verdict: Type.String({ maxLength: 64 }),
  rule: Type.String({ maxLength: 300 }),
});
export type TraceVerdict = Static<typeof TraceVerdict>;

export const ProbeResult = Closed({
  outcome: ProbeOutcome,
  /** The client's own words (curl's error line), if any. */
  detail: Type.String({ maxLength: 500 }),
  trace: Type.Array(TraceVerdict, { maxItems: 32 }),
});
export type ProbeResult = Static<typeof ProbeResult>;

export const CellAnswer = Closed({
  flows: Type.Array(
    Closed({
      srcIp: Ip,
      dstIp: Ip,
      protocol: Protocol,
      port: Port,
      /** The app tags the live table gives each address; null where it holds none. */
      srcTag: Tag,
      dstTag: Tag,
      /** Whether an element of the live policy sets admits srcTag → dstTag on the port. */
      admitted: Type.Boolean(),
    }),
    { maxItems: MAX_ITEMS },
  ),
  certificates: Type.Array(
    Closed({ instanceGuid: Guid, names: Type.Union([Type.Array(Type.String()), Type.Null()]) }),
    { maxItems: MAX_ITEMS },
  ),
  probe: Type.Optional(ProbeResult),
  /** Set when the cell could not read its table (it is still being built, say). */
  error: Type.Optional(Type.String({ maxLength: 1000 })),
});
export type CellAnswer = Static<typeof CellAnswer>;

export const AnswerTaken = Closed({ taken: Type.Literal(true) });

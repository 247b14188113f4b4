// Questions the control plane puts to a cell about what its host holds right now, read back from the
// kernel and the proxy rather than assumed from the database (`weft explain`), and the cell's answers.
import { Type, type Static } from '@sinclair/typebox';
import { Closed, Guid } from './api.js';

const Ip = Type.String({ format: 'ipv4' });
const Protocol = Type.Union([Type.Literal('tcp'), Type.Literal('udp')]);
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const MAX_ITEMS = 64;

export const CellQuestion = Closed({
  /** Would the kernel's live table let SRC reach DST on PROTOCOL/PORT as a new flow? */
  flows: Type.Array(Closed({ srcIp: Ip, dstIp: Ip, protocol: Protocol, port: Port }), {
    maxItems: MAX_ITEMS,
  }),
  /** Which names the 61443 certificate each of these instances serves now carries. */
  certificates: Type.Array(Guid, { maxItems: MAX_ITEMS }),
});
export type CellQuestion = Static<typeof CellQuestion>;

const Tag = Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.Null()]);

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
  /** Set when the cell could not read its table (it is still being built, say). */
  error: Type.Optional(Type.String({ maxLength: 1000 })),
});
export type CellAnswer = Static<typeof CellAnswer>;

export const AnswerTaken = Closed({ taken: Type.Literal(true) });

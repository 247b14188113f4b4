// Cloud Foundry's policy-server JSON, as its external API speaks it, and weft's policies.
import { Type, type Static } from '@sinclair/typebox';
import type { Policy } from '../model/types.js';
import { invalid } from '../model/errors.js';
import { C2C_TLS_PORT, FIRST_APP_TLS_PORT, LAST_APP_TLS_PORT } from '../model/ports.js';

const Port = Type.Integer({ minimum: 1, maximum: 65535 });

// Closed, as every request shape: only `tag`, which Cloud Foundry's listings carry and a dump posted
// back holds, is admitted beyond the policy itself, and ignored (the platform assigns tags).
const Closed = { additionalProperties: false };
const Tag = Type.Optional(Type.String({ maxLength: 16 }));

export const WirePolicy = Type.Object(
  {
    source: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), tag: Tag }, Closed),
    destination: Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 64 }),
        tag: Tag,
        protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp')]),
        ports: Type.Object({ start: Port, end: Port }, Closed),
      },
      Closed,
    ),
  },
  Closed,
);
export type WirePolicy = Static<typeof WirePolicy>;

const MAX_POLICIES_PER_REQUEST = 10_000;

export const PolicyBatch = Type.Object(
  { policies: Type.Array(WirePolicy, { maxItems: MAX_POLICIES_PER_REQUEST }) },
  Closed,
);
export type PolicyBatch = Static<typeof PolicyBatch>;

export const PolicyList = Type.Object({
  total_policies: Type.Integer(),
  policies: Type.Array(WirePolicy),
});

export function toWire(p: Policy): WirePolicy {
  return {
    source: { id: p.sourceAppGuid },
    destination: {
      id: p.destAppGuid,
      protocol: p.protocol,
      ports: { start: p.startPort, end: p.endPort },
    },
  };
}

/** The checks a schema cannot express: port order, and ports the platform does not let apps open. */
export function fromWire(batch: PolicyBatch, opts: { unproxiedPorts: boolean }): Policy[] {
  return batch.policies.map((w, i) => {
    const { start, end } = w.destination.ports;
    if (start > end) {
      throw invalid(`policies[${i}].destination.ports: start ${start} is greater than end ${end}`);
    }
    if (!opts.unproxiedPorts && !isProxiedRange(start, end)) {
      throw invalid(
        `policies[${i}].destination.ports: unproxied port mappings are off on this platform; only ${C2C_TLS_PORT} and the proxied ports ${FIRST_APP_TLS_PORT}-${LAST_APP_TLS_PORT} can be allowed`,
      );
    }
    return {
      sourceAppGuid: w.source.id,
      destAppGuid: w.destination.id,
      protocol: w.destination.protocol,
      startPort: start,
      endPort: end,
    };
  });
}

function isProxiedRange(start: number, end: number): boolean {
  return (
    (start === C2C_TLS_PORT && end === C2C_TLS_PORT) ||
    (start >= FIRST_APP_TLS_PORT && end <= LAST_APP_TLS_PORT)
  );
}

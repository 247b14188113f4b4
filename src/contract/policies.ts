// Cloud Foundry's policy-server JSON, as its external API speaks it: the same paths and shapes, so its
// clients and scripts work unchanged.
import { Type, type Static } from '@sinclair/typebox';

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
export type PolicyList = Static<typeof PolicyList>;

export const Tags = Type.Object({
  tags: Type.Array(Type.Object({ id: Type.String(), tag: Type.String(), type: Type.String() })),
});

// Cloud Foundry's policy-server JSON, as its external API speaks it: the same paths and shapes, so its
// clients and scripts work unchanged. v1 allows port ranges; v0, which Cloud Foundry still serves, has
// one `port`.
import { Type, type Static } from '@sinclair/typebox';

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const AppGuid = Type.String({ minLength: 1, maxLength: 64 });
const Protocol = Type.Union([Type.Literal('tcp'), Type.Literal('udp')]);

// Closed, as every request shape. Cloud Foundry refuses a `tag` in a request (the platform assigns
// tags) and its listings leave tags out, so neither side carries one.
const Closed = { additionalProperties: false };

export const WirePolicy = Type.Object(
  {
    source: Type.Object({ id: AppGuid }, Closed),
    destination: Type.Object(
      { id: AppGuid, protocol: Protocol, ports: Type.Object({ start: Port, end: Port }, Closed) },
      Closed,
    ),
  },
  Closed,
);
export type WirePolicy = Static<typeof WirePolicy>;

export const WirePolicyV0 = Type.Object(
  {
    source: Type.Object({ id: AppGuid }, Closed),
    destination: Type.Object({ id: AppGuid, protocol: Protocol, port: Port }, Closed),
  },
  Closed,
);
export type WirePolicyV0 = Static<typeof WirePolicyV0>;

// No count limit, as in Cloud Foundry: the body's size bounds a batch (MAX_POLICY_BODY_BYTES). A
// listing's `total_policies` is admitted and ignored, so a dump can be posted back as it came.
const TotalPolicies = Type.Optional(Type.Integer());

export const PolicyBatch = Type.Object(
  { total_policies: TotalPolicies, policies: Type.Array(WirePolicy, { minItems: 1 }) },
  Closed,
);
export type PolicyBatch = Static<typeof PolicyBatch>;

export const PolicyBatchV0 = Type.Object(
  { total_policies: TotalPolicies, policies: Type.Array(WirePolicyV0, { minItems: 1 }) },
  Closed,
);
export type PolicyBatchV0 = Static<typeof PolicyBatchV0>;

/** Cloud Foundry reads policy bodies up to 10 MiB (10 << 20 bytes). */
export const MAX_POLICY_BODY_BYTES = 10 * 1024 * 1024;

export const PolicyList = Type.Object({
  total_policies: Type.Integer(),
  policies: Type.Array(WirePolicy),
});
export type PolicyList = Static<typeof PolicyList>;

export const PolicyListV0 = Type.Object({
  total_policies: Type.Integer(),
  policies: Type.Array(WirePolicyV0),
});

export const Tags = Type.Object({
  tags: Type.Array(Type.Object({ id: Type.String(), tag: Type.String(), type: Type.String() })),
});

export const WhoAmI = Type.Object({ subject: Type.String() });

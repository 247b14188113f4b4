// Cloud Foundry's policy-server JSON (src/contract/policies.ts), v1 and v0, to weft's policies and back.
import type { PolicyBatch, PolicyBatchV0, WirePolicy, WirePolicyV0 } from '../contract/policies.js';
import type { Policy, Protocol } from '../model/types.js';
import { invalid } from '../model/errors.js';
import { C2C_TLS_PORT, FIRST_APP_TLS_PORT, LAST_APP_TLS_PORT } from '../model/ports.js';
import { VALIDATE } from './cf-body.js';

export interface WireRules {
  unproxiedPorts: boolean;
}

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

/** v0 has one port: Cloud Foundry leaves policies over a range out of v0's listings. */
export function toWireV0(policies: Policy[]): WirePolicyV0[] {
  return policies
    .filter((p) => p.startPort === p.endPort)
    .map((p) => ({
      source: { id: p.sourceAppGuid },
      destination: { id: p.destAppGuid, protocol: p.protocol, port: p.startPort },
    }));
}

/** The checks a schema cannot express: port order, and ports the platform does not let apps open. */
export function fromWire(batch: PolicyBatch, rules: WireRules): Policy[] {
  return batch.policies.map((w, i) => {
    const { start, end } = w.destination.ports;
    const where = `policies[${i}].destination.ports`;
    if (start > end) {
      throw invalid(
        `${VALIDATE}: invalid port range ${start}-${end}, start must be less than or equal to end; ` +
          `${where}: start ${start} is greater than end ${end}`,
      );
    }
    return checked(w.source.id, w.destination.id, w.destination.protocol, start, end, where, rules);
  });
}

export function fromWireV0(batch: PolicyBatchV0, rules: WireRules): Policy[] {
  return batch.policies.map((w, i) => {
    const port = w.destination.port;
    const where = `policies[${i}].destination.port`;
    return checked(w.source.id, w.destination.id, w.destination.protocol, port, port, where, rules);
  });
}

function checked(
  source: string,
  dest: string,
  protocol: Protocol,
  startPort: number,
  endPort: number,
  where: string,
  rules: WireRules,
): Policy {
  if (!rules.unproxiedPorts && !isProxiedRange(startPort, endPort)) {
    throw invalid(
      `${VALIDATE}; ${where}: unproxied port mappings are off on this platform; only ${C2C_TLS_PORT} and the proxied ports ${FIRST_APP_TLS_PORT}-${LAST_APP_TLS_PORT} can be allowed`,
    );
  }
  return { sourceAppGuid: source, destAppGuid: dest, protocol, startPort, endPort };
}

function isProxiedRange(start: number, end: number): boolean {
  return (
    (start === C2C_TLS_PORT && end === C2C_TLS_PORT) ||
    (start >= FIRST_APP_TLS_PORT && end <= LAST_APP_TLS_PORT)
  );
}

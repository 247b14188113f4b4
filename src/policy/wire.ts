// Cloud Foundry's policy-server JSON (src/contract/policies.ts) to weft's policies and back.
import type { PolicyBatch, WirePolicy } from '../contract/policies.js';
import type { Policy } from '../model/types.js';
import { invalid } from '../model/errors.js';
import { C2C_TLS_PORT, FIRST_APP_TLS_PORT, LAST_APP_TLS_PORT } from '../model/ports.js';

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

// The words for `weft explain --probe`: what one real connection did, and where nftables' trace of its
// first packet says it stopped.
import type { ExplainStep } from '../contract/explain.js';
import type { ProbeResult, TraceVerdict } from '../contract/inspect.js';
import type { App, Instance } from '../model/types.js';
import { finalVerdict } from './probe.js';

/** The pair probed and what the source's cell saw (null: it did not answer). */
export interface ProbeFacts {
  from: Instance;
  to: Instance;
  result: ProbeResult | null;
}

export function probeStep(probe: ProbeFacts | null, src: App, dst: App, flow: string): ExplainStep {
  if (probe === null) {
    return {
      layer: 'probe',
      status: 'unknown',
      text: 'no probe: one of the apps has no instance with an address',
    };
  }
  const pair = `${who(probe.from, src)} → ${who(probe.to, dst)} on ${flow}`;
  const r = probe.result;
  if (r === null) {
    return {
      layer: 'probe',
      status: 'unknown',
      text: `cell ${probe.from.cellId} did not run the probe ${pair} (it follows another server, or did not answer in time)`,
    };
  }
  const last = finalVerdict(r.trace);
  const dropped = last !== undefined && /drop|reject/.test(last.verdict);
  const path = r.trace.map((v) => `${v.chain}: ${v.verdict}`).join(' → ');
  const where = last === undefined ? '' : `; the kernel's trace: ${describe(last)} (path: ${path})`;
  const detail = r.detail === '' ? '' : ` (${r.detail})`;
  switch (r.outcome) {
    case 'connected':
      return { layer: 'probe', status: 'ok', text: `a real connection ${pair} was made${where}` };
    case 'sent':
      return dropped
        ? { layer: 'probe', status: 'fail', text: `a datagram ${pair} was dropped${where}` }
        : {
            layer: 'probe',
            status: 'ok',
            text: `a datagram ${pair} passed the kernel${where} (UDP gives no answer to prove delivery)`,
          };
    case 'timed-out':
      return {
        layer: 'probe',
        status: 'fail',
        text: dropped
          ? `a real connection ${pair} timed out: the kernel dropped it${where}`
          : `a real connection ${pair} timed out${where || ': no traced packet left the source'}`,
      };
    case 'refused':
      return {
        layer: 'probe',
        status: 'fail',
        text: dropped
          ? `a real connection ${pair} was refused${where}`
          : `a real connection ${pair} was refused: the path is open but nothing accepts on the port${detail}`,
      };
    case 'tls-refused':
      return {
        layer: 'probe',
        status: 'fail',
        text: `${pair}: connected, but the TLS handshake was refused${detail}`,
      };
    case 'certificate-rejected':
      return {
        layer: 'probe',
        status: 'fail',
        text: `${pair}: connected, but the certificate did not verify for the dialled name${detail}`,
      };
    case 'error':
      return { layer: 'probe', status: 'unknown', text: `the probe ${pair} could not run${detail}` };
  }
}

function who(i: Instance, app: App): string {
  return `${app.name}/${i.index} (${i.ip ?? '?'})`;
}

function describe(v: TraceVerdict): string {
  return `${v.verdict} in table ${v.table}, chain ${v.chain}${v.rule === '' ? '' : ` (rule: ${v.rule})`}`;
}

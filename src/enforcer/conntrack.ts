// Thin adapter over the conntrack binary, run in the host network namespace where forwarded flows are tracked.
import { CommandError, run } from '../host/run.js';
import type { Flow } from './flows.js';
import { parseConntrackListing } from './flows.js';

export async function listFlows(): Promise<Flow[]> {
  return parseConntrackListing(await run(['conntrack', '-L', '-f', 'ipv4', '-o', 'extended']));
}

export async function deleteFlow(flow: Flow): Promise<void> {
  const args = ['-D', '-f', 'ipv4', '-p', flow.protocol, '-s', flow.src, '-d', flow.dst];
  args.push('--sport', String(flow.sport), '--dport', String(flow.dport));
  try {
    await run(['conntrack', ...args]);
  } catch (err) {
    // Exit 1 with nothing deleted: the flow ended on its own since it was listed.
    if (!(err instanceof CommandError && err.code === 1)) throw err;
  }
}

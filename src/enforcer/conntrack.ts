// Thin adapter over the conntrack binary, run in the host network namespace where forwarded flows are tracked.
import { CommandError, run } from '../host/run.js';
import type { Flow } from './flows.js';
import { parseConntrackListing } from './flows.js';

export async function listFlows(): Promise<Flow[]> {
  return parseConntrackListing(await run(['conntrack', '-L', '-f', 'ipv4', '-o', 'extended']));
}

/** Deletes every tracked flow with this protocol, source, destination and destination port. */
export async function deleteFlows(group: Omit<Flow, 'sport'>): Promise<void> {
  const args = ['-D', '-f', 'ipv4', '-p', group.protocol, '-s', group.src, '-d', group.dst];
  args.push('--dport', String(group.dport));
  try {
    await run(['conntrack', ...args]);
  } catch (err) {
    // Exit 1 with nothing deleted: the flows ended on their own since they were listed.
    if (!(err instanceof CommandError && err.code === 1)) throw err;
  }
}

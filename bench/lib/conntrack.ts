// Waiting for weft's conntrack sweep: after a removal the cell ends the flows it no longer allows, one
// `conntrack -D` at a time, in the enforcer's queue; a round that starts before it is done measures the sweep.
import { sh, sleep } from './proc.js';

/** Resolves once conntrack tracks no TCP flow from src to dst (bounded: 15 s). */
export async function untilNoFlows(src: string, dst: string): Promise<void> {
  const end = performance.now() + 15_000;
  const args = ['-L', '-f', 'ipv4', '-p', 'tcp', '-s', src, '-d', dst];
  while ((await sh('conntrack', args)).trim() !== '') {
    if (performance.now() > end) throw new Error(`flows ${src} → ${dst} still tracked after 15 s`);
    await sleep(20);
  }
}

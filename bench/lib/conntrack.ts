// Waiting for weft's conntrack sweep: after a removal the cell ends the live flows it no longer allows, in
// the enforcer's queue; a round that starts before it is done would measure the sweep.
import { sh, sleep } from './proc.js';

// Finished TCP flows carry no data and are left for the kernel to expire, as the cell does.
const LIVE = (line: string) => line.trim() !== '' && !/\b(TIME_WAIT|CLOSE)\b/.test(line);

/** Resolves once conntrack (of network namespace `netns`, else this one) tracks no live TCP flow src → dst (bounded: 15 s). */
export async function untilNoFlows(src: string, dst: string, netns?: string): Promise<void> {
  const end = performance.now() + 15_000;
  const list = ['conntrack', '-L', '-f', 'ipv4', '-p', 'tcp', '-s', src, '-d', dst];
  const [file, ...args] = netns === undefined ? list : ['ip', 'netns', 'exec', netns, ...list];
  while ((await sh(file!, args)).split('\n').some(LIVE)) {
    if (performance.now() > end) throw new Error(`flows ${src} → ${dst} still tracked after 15 s`);
    await sleep(20);
  }
}

// 5. Proxy memory per container: RSS of weft's proxy process with 10, 100, 250 idle instances, each with its
// own certificate → MiB per added instance, against Envoy's documented per-container footprint.
import { benchCa } from './lib/certs.js';
import { httpBackend } from './lib/peers.js';
import { rssMiB, sleep, tempDir } from './lib/proc.js';
import { fmt } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { slope, summarize } from './lib/stats.js';
import { weftProxy } from './lib/weft-proxy.js';
import { withScope } from './lib/cleanup.js';

// Diego's per-container Envoy, as the issue quotes Cloud Foundry's documentation: 5–10 MB per container.
const ENVOY_MIB = { min: 5e6 / 2 ** 20, max: 10e6 / 2 ** 20 };

export const proxyMemory: Scenario = {
  id: '5',
  title: 'Proxy memory per container',
  method: `
weft's TlsProxy in its own node process (bench/child/weft-proxy.ts) driving its HAProxy, with the 256 TLS
listeners of a /24 cell bound from the start, 10, 100 and 250 of them serving an idle instance with its
own P-256 certificate and key from weft's CA. HAProxy's RSS (VmRSS; it carries the bytes, node only drives
it) is read 1 s after the proxy says it is ready. The figure is the least-squares slope of RSS over instance
count (MiB per added instance) per repetition; the spread is over repetitions. The RSS at the smallest
count is HAProxy's fixed cost, the 256 listeners' TLS contexts included.

Peer: not measured here. Cloud Foundry runs one Envoy per container; the issue quotes its documentation
(diego-release docs/envoy-proxy-configuration.md, "Additional Per-Instance Memory Allocation") at 5–10 MB
per container, shown as the range ${fmt(ENVOY_MIB.min)}–${fmt(ENVOY_MIB.max)} MiB.`,

  async run(mode, scope, figures) {
    const counts = mode.quick ? [10, 100] : [10, 100, 250];
    const reps = mode.quick ? 1 : 3;
    const dir = tempDir(scope, 'weft-bench-mem-');
    const ca = benchCa();
    const creds = Array.from({ length: Math.max(...counts) }, (_, i) => ca.issue(`app-${i}`));
    const backend = await httpBackend(scope, dir);
    const slopes: number[] = [];
    const rssAt = new Map<number, number[]>();
    for (let r = 0; r < reps; r++) {
      const points: { x: number; y: number }[] = [];
      for (const n of counts) {
        // One proxy process at a time, stopped before the next starts.
        const rss = await withScope(async (inner) => {
          const proxy = await weftProxy(inner, dir, backend.port, creds.slice(0, n));
          await sleep(1000);
          return rssMiB(proxy.haproxyPid);
        });
        points.push({ x: n, y: rss });
        rssAt.set(n, [...(rssAt.get(n) ?? []), rss]);
      }
      slopes.push(slope(points));
    }
    const perInstance = summarize(slopes);
    figures.push({
      metric: 'proxy RSS per added instance',
      unit: 'MiB',
      better: 'lower',
      weft: perInstance,
      peer: {
        name: 'Envoy per container (documented, not measured)',
        value: {
          n: 2,
          median: (ENVOY_MIB.min + ENVOY_MIB.max) / 2,
          p10: ENVOY_MIB.min,
          p90: ENVOY_MIB.max,
          min: ENVOY_MIB.min,
          max: ENVOY_MIB.max,
        },
      },
      target: { text: '< 1 MiB per added instance', met: perInstance.median < 1 },
      note: `RSS ${counts.map((n) => `${n} instances: ${fmt(summarize(rssAt.get(n) ?? []).median)} MiB`).join(', ')}`,
    });
  },
};

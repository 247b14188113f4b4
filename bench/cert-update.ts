// 7. Certificate update: map an internal route to app-b → a TLS handshake to app-b's 61443 from inside app-a
// verifies the new name.
import { generateKeyPairSync } from 'node:crypto';
import { startProbe } from './lib/netns-probe.js';
import { fmt } from './lib/report.js';
import type { Figure } from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import { percentileOf as p, summarize } from './lib/stats.js';
import type { Summary } from './lib/stats.js';
import { startWeft, wirePolicy } from './lib/weft-up.js';

/** Diego's convergence backstop: what a missed update waits for at worst (documented, not measured). */
const CF_CONVERGENCE: Summary = { n: 1, median: 30_000, p10: 30_000, p90: 30_000, min: 30_000, max: 30_000 };

/** What one RSA-2048 key costs here: the step CF's path adds per instance that weft's P-256 keys avoid. */
function rsaKeyMs(count: number): number[] {
  return Array.from({ length: count }, () => {
    const t0 = performance.now();
    generateKeyPairSync('rsa', { modulusLength: 2048 });
    return performance.now() - t0;
  });
}

export const certUpdate: Scenario = {
  id: '7',
  title: 'Certificate update: map-route answered → new name verified on 61443',
  method: `
A real \`weft up\` (as in 2b) running app-a and app-b (one instance each) with a tcp/61443 policy a → b. A
probe runs once, as root, in app-a's network namespace. Per round: create route \`vN.apps.internal\`
(untimed), PUT /v1/routes/:route/apps/:app-b, and from the moment the API answers, the probe makes full TLS
handshakes one after another (no session reuse) to app-b's instance IP:61443 with SNI \`vN.apps.internal\`,
verifying the chain against the platform CA ($WEFT_HOME/ca/ca.crt) and the name (Node's
checkServerIdentity), until one verifies. The figure is that time: change stream, a new P-256 key and CSR,
the control plane's signature, and the proxy's new secure context. Then the route is unmapped and the probe
waits until the name is refused again (that time is in the notes).

Peer: not measured. In Cloud Foundry, a route change reaches the cell's rep as an update of the desired LRP;
the rep then makes an HTTP call per instance, a new RSA-2048 key is generated and signed, and Envoy reloads
the certificate files. Updates that go missing are repaired by Diego's convergence loop, every 30 s: the
peer figure is that 30 s backstop, the documented worst case, not a measurement. The notes give the cost of
one RSA-2048 key generation on this machine, the step of CF's path that weft's P-256 keys avoid.`,

  async run(mode, scope, figures) {
    const rounds = mode.quick ? 8 : 20;
    const weft = await startWeft(scope, 'c');
    const [a, b] = [await weft.push('app-a', 1), await weft.push('app-b', 1)];
    const [ia, ib] = [await weft.waitRunning(a), await weft.waitRunning(b)];
    await weft.api('POST', '/networking/v1/external/policies', { policies: [wirePolicy(a, b, 61443)] });
    const probe = await startProbe(scope, ia.netns, weft.caPath);
    const target = { host: ib.ip, port: 61443 };
    // The instance GUID is always in the certificate: this checks the path, the policy and the CA.
    await probe.request({ op: 'verified', ...target, servername: ib.guid });
    const mapped: number[] = [];
    const unmapped: number[] = [];
    for (let n = 1; n <= rounds; n++) {
      const servername = `v${n}.apps.internal`;
      const route = await weft.api<{ guid: string }>('POST', '/v1/routes', {
        host: `v${n}`,
        domainGuid: weft.internalDomainGuid,
        spaceGuid: weft.spaceGuid,
      });
      const mapping = `/v1/routes/${route.guid}/apps/${b}`;
      await weft.api('PUT', mapping);
      let answered = performance.now();
      let served = probe.request({ op: 'verified', ...target, servername });
      mapped.push(performance.now() - answered + (await served));
      await weft.api('DELETE', mapping);
      answered = performance.now();
      served = probe.request({ op: 'wrong-name', ...target, servername });
      unmapped.push(performance.now() - answered + (await served));
    }
    const fig = (q: number): Figure => ({
      metric: `certificate update p${q}, map-route answered → new name verifies`,
      unit: 'ms',
      better: 'lower',
      weft: { ...summarize(mapped), median: p(mapped, q) },
    });
    const [p50, p99] = [fig(50), fig(99)];
    p99.peer = { name: 'CF convergence backstop, documented', value: CF_CONVERGENCE };
    p99.target = { text: 'p99 ≤ 50 ms', met: p(mapped, 99) <= 50 };
    const rsa = summarize(rsaKeyMs(mode.quick ? 3 : 10));
    p50.note =
      `unmap-route answered → the name is refused: p50 ${fmt(p(unmapped, 50))} ms, ` +
      `p99 ${fmt(p(unmapped, 99))} ms; one RSA-2048 key generation here: ${fmt(rsa.median)} ms ` +
      `(${fmt(rsa.min)}–${fmt(rsa.max)}, n=${rsa.n})`;
    figures.push(p50, p99);
  },
};

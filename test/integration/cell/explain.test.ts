// `weft explain` on a real `weft up`, layer by layer: before the policy (denied, with the command that
// would allow it), after it (allowed, by which policy, held by the live kernel), with the policy's kernel
// element removed behind weft's back (the database says yes, the kernel says no), on 61443 with a name the
// certificate does not carry, and with mutual TLS on and no policy admitting the caller's identity.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { run, WeftHost } from '../../helpers/weft-host.js';

let host: WeftHost;

before(async () => {
  // No resync during the test: the element removed behind weft's back must stay removed while explained.
  host = await WeftHost.start({ args: ['--resync-interval', '3600'] });
  await host.push('ex-a', 'http-app', 1);
  await host.push('ex-b', 'http-app', 1);
  await host.cliOk('map-route', 'ex-b', 'apps.internal', '--hostname', 'ex-b');
  await host.waitRunning('ex-a', 1);
  await host.waitRunning('ex-b', 1);
});

after(() => host?.shutdown());

async function explain(...args: string[]): Promise<{ code: number | null; out: string }> {
  const r = await host.cli('explain', 'ex-a', 'ex-b', ...args);
  return { code: r.code, out: r.stdout + r.stderr };
}

test('without a policy: denied, saying so and giving the command that would allow it', async () => {
  const { code, out } = await explain();
  assert.equal(code, 1, out);
  assert.match(
    out,
    /✗ policy +no policy lets ex-a reach ex-b on tcp\/8080; add one: weft add-network-policy ex-a ex-b --protocol tcp --port 8080/,
  );
  assert.match(out, /✗ kernel .*live nftables table drops ex-a\/0 → ex-b\/0 on tcp\/8080/);
  assert.match(out, /DENIED: ex-a cannot reach ex-b on tcp\/8080: policy/);
});

test('--probe before the policy: a real connection stops at the kernel’s drop in check_policy', async () => {
  const { code, out } = await explain('--probe');
  assert.equal(code, 1, out);
  assert.match(
    out,
    new RegExp(
      `✗ probe +a real connection ex-a/0 \\([\\d.]+\\) → ex-b/0 \\([\\d.]+\\) on tcp/8080 timed out: the kernel dropped it; the kernel's trace: drop in table ${host.table}, chain check_policy`,
    ),
  );
});

test('with the policy: allowed, naming it, and the live kernel holds it', async () => {
  await host.cliOk('add-network-policy', 'ex-a', 'ex-b', '--protocol', 'tcp', '--port', '8080');
  const { code, out } = await explain('--hostname', 'ex-b.apps.internal');
  assert.equal(code, 0, out);
  assert.match(out, /✓ dns +ex-b\.apps\.internal resolves to ex-b: \d+\.\d+\.\d+\.\d+/);
  assert.match(out, /✓ policy +allowed by the policy ex-a → ex-b tcp\/8080/);
  assert.match(out, /✓ kernel .*live nftables table admits ex-a\/0 → ex-b\/0 on tcp\/8080/);
  assert.match(out, /ALLOWED: ex-a can reach ex-b on tcp\/8080/);
});

test('--probe with the policy: the real connection is made, and the trace shows the accepting rule', async () => {
  const { code, out } = await explain('--probe');
  assert.equal(code, 0, out);
  assert.match(
    out,
    /✓ probe +a real connection ex-a\/0 \([\d.]+\) → ex-b\/0 \([\d.]+\) on tcp\/8080 was made/,
  );
  assert.match(out, /accept in table \S+, chain check_policy/);
});

test('the policy’s element removed from the kernel behind weft’s back: the database says yes, the kernel no', async () => {
  const [a, b] = await Promise.all([host.app('ex-a'), host.app('ex-b')]);
  const del = await run('nft', [
    'delete',
    'element',
    'inet',
    host.table,
    'tcp_ports',
    `{ ${a.tag} . ${b.tag} . 8080 }`,
  ]);
  assert.equal(del.code, 0, del.stderr);
  const { code, out } = await explain();
  assert.equal(code, 1, out);
  assert.match(out, /✓ policy +allowed by the policy/);
  assert.match(
    out,
    /✗ kernel +the policy allows ex-a\/0 → ex-b\/0 but cell \S+'s live nftables table does not hold it/,
  );
  assert.match(out, /DENIED: .*: kernel/);
  // Put back for what follows, as the resync would.
  const add = await run('nft', [
    'add',
    'element',
    'inet',
    host.table,
    'tcp_ports',
    `{ ${a.tag} . ${b.tag} . 8080 }`,
  ]);
  assert.equal(add.code, 0, add.stderr);
});

test('on 61443, a name the destination’s certificate does not carry is named as the reason', async () => {
  await host.cliOk('add-network-policy', 'ex-a', 'ex-b', '--protocol', 'tcp', '--port', '61443');
  const { code, out } = await explain('--port', '61443', '--hostname', 'ex-a.apps.internal');
  assert.equal(code, 1, out);
  assert.match(
    out,
    /✗ dns +ex-a\.apps\.internal is not an internal route of any app|✗ dns +ex-a\.apps\.internal resolves to/,
  );
  assert.match(
    out,
    /✗ certificate ex-b\/0's certificate on 61443 names [^\n]*ex-b\.apps\.internal[^\n]*, not ex-a\.apps\.internal/,
  );
  const right = await explain('--port', '61443', '--hostname', 'ex-b.apps.internal');
  assert.equal(right.code, 0, right.out);
  assert.match(
    right.out,
    /✓ certificate ex-b\/0's certificate on 61443 names .*: ex-b\.apps\.internal among them/,
  );
});

test('--probe on 61443 verifies the dialled name against the certificate served', async () => {
  const wrong = await explain('--port', '61443', '--hostname', 'ex-a.apps.internal', '--probe');
  assert.equal(wrong.code, 1, wrong.out);
  assert.match(
    wrong.out,
    /✗ probe .*on tcp\/61443: connected, but the certificate did not verify for the dialled name/,
  );
  const right = await explain('--port', '61443', '--hostname', 'ex-b.apps.internal', '--probe');
  assert.equal(right.code, 0, right.out);
  assert.match(right.out, /✓ probe +a real connection .* on tcp\/61443 was made/);
});

test('with mutual TLS on, a caller no 61443 policy admits is refused at the handshake', async () => {
  await host.cliOk('enable-c2c-mtls', 'ex-b');
  const admitted = await explain('--port', '61443');
  assert.equal(admitted.code, 0, admitted.out);
  assert.match(
    admitted.out,
    /✓ mtls +ex-b requires a client certificate: ex-a must present its instance identity/,
  );
  await host.cliOk('remove-network-policy', 'ex-a', 'ex-b', '--protocol', 'tcp', '--port', '61443');
  const refused = await explain('--port', '61443');
  assert.equal(refused.code, 1, refused.out);
  assert.match(
    refused.out,
    /✗ mtls +ex-b requires a client certificate of an app a policy admits on 61443; none admits ex-a/,
  );
});

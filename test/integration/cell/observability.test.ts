// Observability on a real `weft up`. The flow log end to end: the kernel logs a denied connection to the
// cell's NFLOG group, ulogd2 hands it to the cell, the control plane names both apps, and `weft flows`
// shows it; a policy-allowed connection is not logged, and a cell cannot report flows outside its own
// subnet. And the metrics of what the control plane and the cell hold.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor, WeftHost, type InstanceInfo } from '../../helpers/weft-host.js';
import { probeFromNetns } from './probes.js';

let host: WeftHost;
let a: InstanceInfo & { ip: string };
let b: InstanceInfo & { ip: string };

const netnsOf = (i: InstanceInfo): string => `weft-${i.guid.replaceAll('-', '').slice(0, 8)}`;

before(async () => {
  // Every connection's start and end too, not only denials.
  host = await WeftHost.start({ args: ['--flow-log', 'all'] });
  await host.push('flow-a', 'http-app', 1);
  await host.push('flow-b', 'http-app', 1);
  const only = (list: (InstanceInfo & { ip: string })[]) => {
    assert.ok(list[0]);
    return list[0];
  };
  a = only(await host.waitRunning('flow-a', 1));
  b = only(await host.waitRunning('flow-b', 1));
});

after(() => host?.shutdown());

async function flowLines(...args: string[]): Promise<string[]> {
  const out = await host.cliOk('flows', ...args);
  return out.split('\n').filter((l) => l.includes(' -> '));
}

test('a denied connection shows up in `weft flows --denied` with both apps named', async () => {
  const tried = await probeFromNetns(netnsOf(a), [b.ip], 8080);
  assert.equal(tried.get(`tcp ${b.ip}`), 'fail');
  const lines = await waitFor(
    'the denied flow in weft flows',
    async () => {
      // The probe tries udp beside tcp, and either may be logged first: wait for the tcp one.
      const found = (await flowLines('--denied', '--app', 'flow-b')).filter(
        (l) =>
          l.includes(`flow-a/0 (${a.ip}:`) && l.includes(`flow-b/0 (${b.ip}:8080)`) && l.includes(' tcp '),
      );
      return found.length > 0 ? found : undefined;
    },
    10_000,
  );
  assert.match(lines[0] ?? '', /tcp DENIED/);
  const metrics = await host.metrics();
  assert.match(metrics, /^weft_cell_denied_flows_logged_total [1-9]/m);
});

test('an allowed connection is not logged as denied, while the protocol its policy leaves out is', async () => {
  await host.cliOk('add-network-policy', 'flow-b', 'flow-a', '--protocol', 'tcp', '--port', '8080');
  await waitFor(
    'the policy in the kernel',
    async () =>
      (await probeFromNetns(netnsOf(b), [a.ip], 8080)).get(`tcp ${a.ip}`) === 'ok' ? true : undefined,
    10_000,
  );
  const fromB = new RegExp(`: \\S+/flow-b/0 \\(${b.ip.replaceAll('.', '\\.')}:\\d+\\) -> `);
  // A denied flow after the allowed one proves the log is flowing; then nothing b → a may be in it.
  await probeFromNetns(netnsOf(a), [b.ip], 8080);
  await waitFor(
    'a later denial',
    async () => ((await flowLines('--app', 'flow-a', '--last', '1000')).length >= 2 ? true : undefined),
    10_000,
  );
  // The probe tries udp too, which the policy does not allow.
  assert.ok(
    (await flowLines('--app', 'flow-a', '--last', '1000')).some(
      (l) => fromB.test(l) && l.includes(' udp DENIED'),
    ),
  );
  const bToA = (await flowLines('--app', 'flow-a', '--last', '1000')).filter(
    (l) => fromB.test(l) && l.includes(' tcp DENIED'),
  );
  assert.deepEqual(bToA, []);
});

test('with --flow-log all, the allowed connection shows up as ALLOWED, naming the policy that let it through', async () => {
  const lines = await waitFor(
    'the allowed flow in weft flows',
    async () => {
      const found = (await flowLines('--verdict', 'ALLOWED', '--app', 'flow-a', '--last', '1000')).filter(
        (l) => l.includes(`flow-b/0 (${b.ip}:`) && l.includes(`flow-a/0 (${a.ip}:8080)`),
      );
      return found.length > 0 ? found : undefined;
    },
    10_000,
  );
  assert.match(lines[0] ?? '', / tcp ALLOWED \(policy tcp\/8080\)$/);
  // A denied flow is never reported as a connection: conntrack never confirms what the kernel dropped.
  const allowed = await flowLines('--verdict', 'ALLOWED', '--last', '1000');
  assert.ok(!allowed.some((l) => l.includes(`flow-a/0 (${a.ip}:`) && l.includes(`(${b.ip}:8080)`)));
  assert.match(await host.metrics(), /^weft_cell_connections_logged_total [1-9]/m);
});

test('a cell may report only flows that touch its own subnet', async () => {
  const [cell] = await host.api<{ id: string; subnet: string }[]>('GET', '/v1/cells');
  assert.ok(cell);
  const foreign = {
    time: new Date().toISOString(),
    protocol: 'tcp',
    srcIp: '192.0.2.1',
    srcPort: 1234,
    dstIp: '192.0.2.2',
    dstPort: 8080,
  };
  const receipt = await host.api<{ kept: number }>('POST', `/v1/cells/${cell.id}/flows`, {
    flows: [foreign],
  });
  assert.equal(receipt.kept, 0);
});

test('a report with a field the schema does not list is refused', async () => {
  const [cell] = await host.api<{ id: string }[]>('GET', '/v1/cells');
  await assert.rejects(
    host.api('POST', `/v1/cells/${cell?.id}/flows`, {
      flows: [
        {
          time: new Date().toISOString(),
          protocol: 'tcp',
          srcIp: a.ip,
          srcPort: 1,
          dstIp: b.ip,
          dstPort: 2,
          appName: 'x',
        },
      ],
    }),
    /400/,
  );
});

test('the control plane and the cell expose what they hold and how fast the kernel takes it', async () => {
  const metrics = await host.metrics();
  const value = (series: string): number => {
    const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
    assert.ok(line, `no ${series} in the metrics`);
    return Number(line.slice(series.length + 1));
  };
  assert.equal(value('weft_apps'), 2);
  assert.equal(value('weft_policies'), 1);
  assert.equal(value('weft_instances{state="RUNNING"}'), 2);
  assert.equal(value('weft_cell_policies'), 1);
  assert.equal(value('weft_cell_instances'), 2);
  // Caught up with the stream: no lag between the control plane and its only cell.
  assert.equal(value('weft_cell_revision'), value('weft_control_plane_revision'));
  assert.ok(value('weft_cell_kernel_apply_seconds_count{kind="delta"}') >= 1);
});

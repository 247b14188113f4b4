// Root only: what the host itself and the network next to a cell reach of its containers, on a real `weft
// up`: nothing a policy does not allow. Only the cell's own sockets (its proxy, its health checks) are
// exempt, and only known cells send VXLAN.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createSocket } from 'node:dgram';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { overlayVni, vxlanMac } from '../../../src/network/vxlan.js';
import { run, waitFor, WeftHost, type InstanceInfo } from '../../helpers/weft-host.js';
import { probeFrom, probeFromHost, probeFromNetns } from '../cell/probes.js';

const tag = (process.pid % 46_656).toString(36);
/** A LAN neighbour: a namespace on a veth to the host, with a route to the overlay through it. */
const lan = {
  ns: `ulan-${tag}`,
  hostSide: `ul${tag}h`,
  ip: `198.18.${process.pid % 250}.2`,
  hostIp: `198.18.${process.pid % 250}.1`,
};

// argv: HOST VNI DEST_MAC INNER_SRC INNER_DST MARKER_PORT. Sends a VXLAN frame carrying UDP to INNER_DST:8080,
// three times, then a plain datagram to MARKER_PORT: once that arrives, the frames were handled before it.
const FORGE_VXLAN = `
import socket, struct, sys
host, vni, mac, src, dst, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
def checksum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
udp = struct.pack('!HHHH', 40000, 8080, 14, 0) + b'forged'
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
frame = bytes.fromhex(mac.replace(':', '')) + bytes.fromhex('02aabbccddee') + b'\\x08\\x00' + ip + udp
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    s.sendto(struct.pack('!II', 0x08000000, vni << 8) + frame, (host, 4789))
s.sendto(b'marker', (host, marker))
`;

// argv: IP. A TLS round trip to IP:61443 with the instance's own identity; prints the answer.
const TLS_ROUNDTRIP = `
import os, socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(os.environ['CF_INSTANCE_CERT'], os.environ['CF_INSTANCE_KEY'])
with socket.create_connection((sys.argv[1], 61443), timeout=5) as raw:
    with ctx.wrap_socket(raw) as tls:
        tls.sendall(b'ping\\n')
        print(tls.recv(512).decode().strip())
`;

async function sh(cmd: string, ...args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** The probe results that got through, as "tcp IP:PORT" lines. */
async function opened(probe: (port: number) => Promise<Map<string, 'ok' | 'fail'>>, ports: number[]) {
  const results = await Promise.all(ports.map(async (port) => [port, await probe(port)] as const));
  return results.flatMap(([port, seen]) =>
    [...seen].filter(([, r]) => r === 'ok').map(([key]) => `${key}:${port}`),
  );
}

describe('the host and the network next to a cell reach no container without a policy', () => {
  let host: WeftHost;
  let instances: (InstanceInfo & { ip: string })[];
  let gateway: string;
  /** The proxy's listeners on the gateway, one per proxied port of each instance. */
  let listeners: number[];

  before(async () => {
    host = await WeftHost.start();
    await host.push('u-a', 'http-app', 1);
    await host.push('u-b', 'echo', 2);
    const [a, b] = await Promise.all([host.waitRunning('u-a', 1), host.waitRunning('u-b', 2)]);
    instances = [...a, ...b];
    const gw = await sh('ip', '-4', '-o', 'addr', 'show', 'dev', `${host.ifacePrefix}-gw`);
    gateway = /inet (\S+)\/32/.exec(gw)?.[1] ?? '';
    const listening = await sh('ss', '-Hltn', 'src', gateway);
    listeners = [...listening.matchAll(new RegExp(`${gateway.replaceAll('.', '\\.')}:(\\d+)`, 'g'))]
      .map((m) => Number(m[1]))
      .filter((port) => port !== 53);
    assert.ok(listeners.length >= instances.length, `proxy listeners on ${gateway}: ${listening}`);

    await sh('ip', 'netns', 'add', lan.ns);
    await sh('ip', 'link', 'add', lan.hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lan.ns);
    await sh('ip', 'addr', 'add', `${lan.hostIp}/30`, 'dev', lan.hostSide);
    await sh('ip', 'link', 'set', lan.hostSide, 'up');
    await sh('ip', '-n', lan.ns, 'addr', 'add', `${lan.ip}/30`, 'dev', 'eth0');
    await sh('ip', '-n', lan.ns, 'link', 'set', 'eth0', 'up');
    await sh('ip', '-n', lan.ns, 'link', 'set', 'lo', 'up');
    await sh('ip', '-n', lan.ns, 'route', 'add', host.overlay, 'via', lan.hostIp);
  });

  after(async () => {
    // Deleting the namespace deletes the veth pair with it.
    await run('ip', ['netns', 'del', lan.ns]);
    await host?.shutdown();
  });

  test('the cell’s health checks still reach its instances: they run', () => {
    assert.deepEqual(
      instances.map((i) => i.state),
      ['RUNNING', 'RUNNING', 'RUNNING'],
    );
  });

  test('a plain process on the host reaches no container port, 61443, nor a proxy listener', async () => {
    const ips = instances.map((i) => i.ip);
    const toContainers = await opened((port) => probeFromHost(ips, port), [8080, 61443]);
    const toGateway = await opened((port) => probeFromHost([gateway], port), listeners);
    assert.deepEqual([...toContainers, ...toGateway], []);
    // The probe itself works: the gateway's DNS, a host service, answers the host.
    assert.equal((await probeFromHost([gateway], 53)).get(`tcp ${gateway}`), 'ok');
  });

  test('a LAN neighbour with a route to the overlay reaches no container nor anything on the gateway', async () => {
    const server = net.createServer((s) => s.end());
    server.listen(0, lan.hostIp);
    await once(server, 'listening');
    try {
      // The neighbour reaches the host itself, so what it does not reach below, the rules keep from it.
      const port = (server.address() as net.AddressInfo).port;
      assert.equal((await probeFromNetns(lan.ns, [lan.hostIp], port)).get(`tcp ${lan.hostIp}`), 'ok');
    } finally {
      server.close();
    }
    const ips = instances.map((i) => i.ip);
    const toContainers = await opened((port) => probeFromNetns(lan.ns, ips, port), [8080, 61443]);
    const toGateway = await opened((port) => probeFromNetns(lan.ns, [gateway], port), [53, ...listeners]);
    assert.deepEqual([...toContainers, ...toGateway], []);
  });

  test('with a policy, containers reach each other on 8080 and through the proxy on 61443', async () => {
    for (const port of ['8080', '61443']) {
      await host.cliOk(
        'add-network-policy',
        'u-a',
        '--destination-app',
        'u-b',
        '--protocol',
        'tcp',
        '--port',
        port,
      );
    }
    const targets = instances.slice(1).map((i) => i.ip);
    const open = await waitFor(
      'the policy in the kernel',
      async () => {
        const seen = await probeFrom(host, 'u-a', 0, targets, 8080);
        return targets.every((ip) => seen.get(`tcp ${ip}`) === 'ok') ? seen : undefined;
      },
      60_000,
    );
    assert.ok(open);
    const tls = await host.python('u-a', TLS_ROUNDTRIP, [targets[0] ?? '']);
    assert.equal(tls.stdout.trim(), 'u-b: ping', tls.stderr);
  });

  test('VXLAN of the overlay from a host that is no cell is dropped before it is decapsulated', async () => {
    const vxlan = `${host.ifacePrefix}-vx`;
    const received = async (): Promise<number> => {
      const [link] = JSON.parse(await sh('ip', '-j', '-s', 'link', 'show', 'dev', vxlan)) as {
        stats64: { rx: { packets: number } };
      }[];
      return link?.stats64.rx.packets ?? -1;
    };
    const marker = createSocket('udp4');
    marker.bind(0, lan.hostIp);
    await once(marker, 'listening');
    const forge = async (): Promise<void> => {
      const arrived = once(marker, 'message');
      await sh(
        'ip',
        'netns',
        'exec',
        lan.ns,
        'python3',
        '-c',
        FORGE_VXLAN,
        lan.hostIp,
        String(overlayVni(host.overlay)),
        vxlanMac(gateway),
        lan.ip,
        instances[1]?.ip ?? '',
        String(marker.address().port),
      );
      await arrived;
    };
    try {
      const before = await received();
      await forge();
      assert.equal(await received(), before, 'frames from an unknown host reached the VXLAN link');

      // The same frames from a host the platform knows as a cell reach the link: the count above would see them.
      await host.api('PUT', '/v1/cells/lan-neighbour', { hostIp: lan.ip });
      await waitFor(
        'the new cell among the VXLAN peers',
        async () =>
          (await sh('nft', 'list', 'set', 'inet', host.table, 'peer_hosts')).includes(lan.ip)
            ? true
            : undefined,
        30_000,
      );
      await forge();
      assert.equal(await received(), before + 3);
    } finally {
      marker.close();
    }
  });
});

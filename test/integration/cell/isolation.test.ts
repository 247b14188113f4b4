// What a container cannot do, on a real `weft up`: keep a flow whose policy is gone, send from an address
// that is not its own, change its network or firewall, reach the host beyond DNS and the proxy (the
// control-plane API included), or read credentials and state that are not its own.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { run, waitFor, WeftHost } from '../../helpers/weft-host.js';

// Holds one TCP connection to the echo app: a round trip, then on each stdin line a round trip on the
// same connection until one fails (the flow was ended), then a fresh connection attempt.
const HELD_CONNECTION = `
import socket, sys, time
ip = sys.argv[1]
held = socket.create_connection((ip, 8080), timeout=5)
held.settimeout(2)
def roundtrip(sock):
    sock.sendall(b'ping\\n')
    data = sock.recv(512)
    if not data:
        raise OSError('closed by peer')
    return data.decode().strip()
print('first', roundtrip(held), flush=True)
for line in sys.stdin:
    try:
        print('held ok', roundtrip(held), flush=True)
    except OSError as e:
        print('held cut', type(e).__name__, e, flush=True)
        try:
            socket.create_connection((ip, 8080), timeout=2).close()
            print('new ok', flush=True)
        except OSError as e:
            print('new refused', type(e).__name__, flush=True)
        break
`;

// argv: HOST:PORT...; prints "HOST:PORT ok|fail" for a TCP connect to each.
const TCP_CONNECT = `
import socket, sys
for target in sys.argv[1:]:
    host, port = target.rsplit(':', 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
        print(target, 'ok')
    except OSError:
        print(target, 'fail')
`;

// argv: SOURCE_IP SOURCE_PORT DEST_IP; sends UDP from SOURCE_IP (IP_FREEBIND needs no privilege) and
// waits briefly for the echo. Prints "sent" then "echo" or "no echo"; or "refused" if the kernel says no.
const UDP_FROM = `
import socket, sys
src, sport, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND
try:
    s.bind((src, sport))
    for _ in range(3):
        s.sendto(b'spoof', (dst, 8080))
except OSError as e:
    print('refused', e)
    sys.exit(0)
print('sent', flush=True)
s.settimeout(1)
try:
    s.recvfrom(512)
    print('echo')
except OSError:
    print('no echo')
`;

function hostAddress(): string {
  const ip = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
  if (ip === undefined) throw new Error('this host has no non-loopback IPv4 address');
  return ip;
}

function resultLines(stdout: string): Map<string, string> {
  return new Map(
    stdout
      .trim()
      .split('\n')
      .map((l) => {
        const at = l.lastIndexOf(' ');
        return [l.slice(0, at), l.slice(at + 1)] as const;
      }),
  );
}

describe('container isolation on one cell', () => {
  let host: WeftHost;
  let ips: { a0: string; a1: string; b: string; c: string };
  let guids: { a0: string; a1: string };

  /** cf add-/remove-network-policy SRC --destination-app DST on port 8080. */
  const policy = (verb: string, src: string, dst: string, protocol: 'tcp' | 'udp') =>
    host.cliOk(verb, src, '--destination-app', dst, '--protocol', protocol, '--port', '8080');

  before(async () => {
    host = await WeftHost.start();
    await host.push('i-a', 'http-app', 2);
    await host.push('i-b', 'echo', 1);
    await host.push('i-c', 'http-app', 1);
    await policy('add-network-policy', 'i-a', 'i-b', 'tcp');
    await policy('add-network-policy', 'i-c', 'i-b', 'udp');
    const [a, [b], [c]] = await Promise.all([
      host.waitRunning('i-a', 2),
      host.waitRunning('i-b', 1),
      host.waitRunning('i-c', 1),
    ]);
    assert.ok(a[0] && a[1] && b && c);
    ips = { a0: a[0].ip, a1: a[1].ip, b: b.ip, c: c.ip };
    guids = { a0: a[0].guid, a1: a[1].guid };
  });

  after(async () => {
    await host?.shutdown();
  });

  test('removing a policy ends an open connection it allowed and refuses new ones', async (t) => {
    const child = host.pythonChild('i-a', HELD_CONNECTION, [ips.b]);
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = once(child, 'close');
    try {
      await waitFor('the first round trip', () => (lines.length > 0 ? true : undefined), 30_000);
      assert.equal(lines[0], 'first i-b: ping', stderr);
      await policy('remove-network-policy', 'i-a', 'i-b', 'tcp');
      // One round trip per second on the held connection until the cut shows (or the deadline passes).
      await waitFor(
        'the held connection to be cut',
        () => {
          if (lines.some((l) => l.startsWith('new '))) return true;
          child.stdin!.write('again\n');
          return undefined;
        },
        60_000,
        1_000,
      );
    } finally {
      child.stdin!.end();
      await closed;
    }
    t.diagnostic(lines.filter((l) => !l.startsWith('held ok')).join('; '));
    assert.ok(
      lines.some((l) => l.startsWith('held cut')),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => l.startsWith('new refused')),
      lines.join('\n'),
    );
  });

  test('a container cannot change its addresses, routes or firewall, nor open raw sockets', async () => {
    const script = [
      `ip addr add ${ips.c}/32 dev eth0 && echo 'addr allowed' || echo 'addr refused'`,
      `ip route add 10.0.0.0/8 dev eth0 && echo 'route allowed' || echo 'route refused'`,
      `ip link set eth0 down && echo 'link allowed' || echo 'link refused'`,
      `/usr/sbin/nft list ruleset >/dev/null && echo 'nft-list allowed' || echo 'nft-list refused'`,
      `/usr/sbin/nft add table inet mine && echo 'nft-add allowed' || echo 'nft-add refused'`,
      `python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)' 2>/dev/null && echo 'raw allowed' || echo 'raw refused'`,
      `ip -4 -o addr show dev eth0 | awk '{print "address", $4}'`,
    ].join('; ');
    const r = await host.ssh('i-a', script);
    const seen = resultLines(r.stdout);
    for (const what of ['addr', 'route', 'link', 'nft-list', 'nft-add', 'raw']) {
      assert.equal(seen.get(what), 'refused', `${what}:\n${r.stdout}${r.stderr}`);
    }
    assert.equal(seen.get('address'), `${ips.a0}/32`);
  });

  test('a container cannot send from another container’s address', async () => {
    // i-c may send udp to i-b; i-a may not. i-a forging i-c's address must not get through.
    const sport = 40_000 + (process.pid % 20_000);
    const flowsFrom = async (port: number) =>
      (await run('conntrack', ['-L', '-p', 'udp', '-s', ips.c, '-d', ips.b, '--sport', String(port)])).stdout;

    const asApp = await host.python('i-a', UDP_FROM, [ips.c, String(sport), ips.b]);
    assert.match(asApp.stdout, /^(refused|sent\nno echo)/, asApp.stdout + asApp.stderr);
    assert.doesNotMatch(await flowsFrom(sport), /dport=8080/, 'a flow forged by the app reached i-b');

    // Even root in the container's network namespace, holding i-c's address as well, is stopped by the host.
    const netns = `weft-${guids.a0.replaceAll('-', '').slice(0, 8)}`;
    await run('ip', ['-n', netns, 'addr', 'add', `${ips.c}/32`, 'dev', 'eth0']);
    try {
      const asRoot = await run('ip', [
        'netns',
        'exec',
        netns,
        'python3',
        '-c',
        UDP_FROM,
        ips.c,
        String(sport + 1),
        ips.b,
      ]);
      assert.match(asRoot.stdout, /^sent\nno echo/, asRoot.stdout + asRoot.stderr);
      assert.doesNotMatch(
        await flowsFrom(sport + 1),
        /dport=8080/,
        'a flow forged by root in the netns reached i-b',
      );
    } finally {
      await run('ip', ['-n', netns, 'addr', 'del', `${ips.c}/32`, 'dev', 'eth0']);
    }

    // The same probe from i-c itself gets its echo and leaves a flow, so the checks above can see one.
    const genuine = await host.python('i-c', UDP_FROM, [ips.c, String(sport + 2), ips.b]);
    assert.match(genuine.stdout, /sent\necho/, genuine.stdout + genuine.stderr);
    assert.match(await flowsFrom(sport + 2), /dport=8080/);
  });

  test('a container reaches on the host only DNS and the proxy, not the API nor other host ports', async (t) => {
    const server = net.createServer((s) => s.on('error', () => undefined).end('host service\n'));
    server.listen(0, '0.0.0.0');
    await once(server, 'listening');
    try {
      const hostPort = (server.address() as net.AddressInfo).port;
      const gateway = (
        await host.ssh('i-a', "awk '/^nameserver/ {print $2}' /etc/resolv.conf")
      ).stdout.trim();
      const targets = ['127.0.0.1', gateway, '169.254.0.1', hostAddress()].flatMap((ip) => [
        `${ip}:${host.port}`,
        `${ip}:${hostPort}`,
      ]);
      const r = await host.python('i-a', TCP_CONNECT, targets);
      const seen = resultLines(r.stdout);
      t.diagnostic(`probed ${targets.join(' ')}`);
      for (const target of targets)
        assert.equal(seen.get(target), 'fail', `${target} from inside i-a:\n${r.stdout}${r.stderr}`);
      // The same host service answers on loopback, and the container's network works where a policy allows.
      await new Promise<void>((resolve, reject) =>
        net
          .connect(hostPort, '127.0.0.1')
          .once('connect', function (this: net.Socket) {
            this.destroy();
            resolve();
          })
          .once('error', reject),
      );
      const dns = await host.ssh('i-a', `dig +time=2 +tries=2 nope.apps.internal | grep -o 'status: [A-Z]*'`);
      assert.match(dns.stdout, /status: NXDOMAIN/, dns.stdout + dns.stderr);
    } finally {
      server.close();
    }
  });

  test('an app reads its own key and certificate, and no other instance’s credentials nor weft’s state', async () => {
    const other = path.join(host.home, 'cell/instances', guids.a1, 'credentials/instance.key');
    const script = [
      `openssl pkey -in "$CF_INSTANCE_KEY" -pubout >/tmp/key.pub && echo 'own-key readable' || echo 'own-key unreadable'`,
      `openssl x509 -in "$CF_INSTANCE_CERT" -noout -pubkey >/tmp/cert.pub && cmp -s /tmp/key.pub /tmp/cert.pub && echo 'pair matches' || echo 'pair mismatch'`,
      `openssl x509 -in "$CF_INSTANCE_CERT" -noout -subject -ext subjectAltName | grep -q "$CF_INSTANCE_GUID" && echo 'cert-names own' || echo 'cert-names other'`,
      `ls ${host.home} >/dev/null 2>&1 && echo 'home listable' || echo 'home unlistable'`,
      `cat ${path.join(host.home, 'admin-token')} >/dev/null 2>&1 && echo 'token readable' || echo 'token unreadable'`,
      `cat ${other} >/dev/null 2>&1 && echo 'other-key readable' || echo 'other-key unreadable'`,
      `ls ${host.work} >/dev/null 2>&1 && echo 'host-tmp visible' || echo 'host-tmp hidden'`,
    ].join('; ');
    const r = await host.ssh('i-a', script, { index: 0 });
    const seen = resultLines(r.stdout);
    const want: Record<string, string> = {
      'own-key': 'readable',
      pair: 'matches',
      'cert-names': 'own',
      home: 'unlistable',
      token: 'unreadable',
      'other-key': 'unreadable',
      'host-tmp': 'hidden',
    };
    for (const [what, outcome] of Object.entries(want)) {
      assert.equal(seen.get(what), outcome, `${what}:\n${r.stdout}${r.stderr}`);
    }
    // Instance 1 sees its own credentials at the same path, not instance 0's.
    const second = await host.ssh(
      'i-a',
      'openssl x509 -in "$CF_INSTANCE_CERT" -noout -subject -ext subjectAltName',
      { index: 1 },
    );
    assert.match(second.stdout, new RegExp(guids.a1));
    assert.doesNotMatch(second.stdout, new RegExp(guids.a0));
  });
});

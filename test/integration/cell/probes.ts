// Connectivity probes run inside a container: every target at once, one result line per target, so a
// whole row of the reachability matrix costs one `weft ssh`.
import { run, type WeftHost } from '../../helpers/weft-host.js';

export type Protocol = 'tcp' | 'udp';

// argv: PORT TIMEOUT_S IP... ; prints "tcp IP ok|fail" and "udp IP ok|fail" for each IP. UDP counts only when
// the echo app answers; TCP when the connection is accepted.
const PROBE_ALL = `
import socket, sys, threading
port, timeout, targets = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
results = {}
def tcp(ip):
    s = socket.socket()
    s.settimeout(timeout)
    try:
        s.connect((ip, port))
        results[('tcp', ip)] = 'ok'
    except OSError:
        results[('tcp', ip)] = 'fail'
    finally:
        s.close()
def udp(ip):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(b'probe', (ip, port))
        data, _ = s.recvfrom(512)
        results[('udp', ip)] = 'ok' if data.endswith(b'probe') else 'fail'
    except OSError:
        results[('udp', ip)] = 'fail'
    finally:
        s.close()
threads = [threading.Thread(target=f, args=(ip,)) for ip in targets for f in (tcp, udp)]
for t in threads: t.start()
for t in threads: t.join()
for (proto, ip), r in sorted(results.items()): print(proto, ip, r)
`;

/** From one instance, which of the targets accept TCP and answer UDP on the port. */
export async function probeFrom(
  host: WeftHost,
  app: string,
  index: number,
  targets: string[],
  port: number,
): Promise<Map<string, 'ok' | 'fail'>> {
  const r = await host.python(app, PROBE_ALL, [String(port), '2', ...targets], index);
  if (r.code !== 0) throw new Error(`probe from ${app}/${index} failed (${r.code}): ${r.stdout}${r.stderr}`);
  return parseProbe(r.stdout);
}

/** The same probe run as root straight in a container's network namespace, for when weft itself is down. */
export function probeFromNetns(
  netns: string,
  targets: string[],
  port: number,
): Promise<Map<string, 'ok' | 'fail'>> {
  return probeWith(['ip', 'netns', 'exec', netns], netns, targets, port);
}

/** The same probe from a plain process on the host, neither weft nor in a container. */
export function probeFromHost(targets: string[], port: number): Promise<Map<string, 'ok' | 'fail'>> {
  return probeWith([], 'the host', targets, port);
}

async function probeWith(
  prefix: string[],
  where: string,
  targets: string[],
  port: number,
): Promise<Map<string, 'ok' | 'fail'>> {
  const [cmd = 'python3', ...args] = [...prefix, 'python3', '-c', PROBE_ALL, String(port), '2', ...targets];
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`probe from ${where} failed (${r.code}): ${r.stdout}${r.stderr}`);
  return parseProbe(r.stdout);
}

function parseProbe(stdout: string): Map<string, 'ok' | 'fail'> {
  const results = new Map<string, 'ok' | 'fail'>();
  for (const line of stdout.trim().split('\n')) {
    const [proto, ip, result] = line.split(' ');
    if (proto && ip && (result === 'ok' || result === 'fail')) results.set(`${proto} ${ip}`, result);
  }
  return results;
}

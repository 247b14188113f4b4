// Runs as root inside a container's network namespace, started once per scenario so that process start-up
// stays out of the figures. One JSON request per stdin line; answers `{id, ms}` (ms from the request's
// arrival to the wanted outcome) or `{id, error}`.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { httpAnswers, httpsAnswers, tcpOpens, tlsHandshake, until } from '../lib/attempts.js';
import type { ProbeRequest } from '../lib/netns-probe.js';

const caPem = readFileSync(process.argv[2] ?? '', 'utf8');
const SEQUENTIAL = { everyMs: 0, maxInFlight: 1, giveUpMs: 10_000 };

function run(r: ProbeRequest): Promise<number> {
  const target = { host: r.host, port: r.port, servername: r.servername ?? r.host, caPem };
  switch (r.op) {
    case 'open':
      // A dropped SYN is only retried after 1 s: fresh attempts every ms catch the rule as it lands.
      return until('connect', () => tcpOpens(r.host, r.port, 50), {
        everyMs: 1,
        maxInFlight: 32,
        giveUpMs: 10_000,
      });
    case 'closed':
      return until('refusal', async () => !(await tcpOpens(r.host, r.port, 100)), SEQUENTIAL);
    case 'verified':
    case 'wrong-name':
      // Paced as HTTPS is: back to back, the handshakes took the CPU the update they wait for needs.
      return until(`${r.op} handshake`, async () => (await tlsHandshake(target, 1000)) === r.op, {
        everyMs: 2,
        maxInFlight: 1,
        giveUpMs: 10_000,
      });
    case 'http':
      // Paced, not spinning: a busy prober would take CPU from the process it waits for (2 cores). Several
      // in flight, as for 'open': an attempt whose SYN a policy not yet in the kernel dropped waits out its
      // timeout, and alone it held every later attempt back for those 200 ms.
      return until('HTTP answer', () => httpAnswers(r.host, r.port, 200), {
        everyMs: 2,
        maxInFlight: 32,
        giveUpMs: 60_000,
      });
    case 'https':
      // Paced as HTTP is: each attempt is a handshake, both here and in the proxy.
      return until('HTTPS answer', () => httpsAnswers(target, 200), {
        everyMs: 2,
        maxInFlight: 1,
        giveUpMs: 30_000,
      });
  }
}

const reply = (line: object): boolean => process.stdout.write(`${JSON.stringify(line)}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const r = JSON.parse(line) as ProbeRequest;
  run(r).then(
    (ms) => reply({ id: r.id, ms }),
    (err: unknown) => reply({ id: r.id, error: String(err) }),
  );
});
reply({ ready: true });

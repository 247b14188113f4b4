// Platform HTTPS on 61443 on a real `weft up`: its own policy, stock clients that verify the certificate
// without flags, names that follow map-route/unmap-route live with no restart and no failed request, and
// mutual TLS that admits only platform identities of callers allowed on 61443.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { run, waitFor, WeftHost } from '../../helpers/weft-host.js';

const ROUTE_FLIPS = 100;

/** Three stock clients against NAME:61443; each prints what the app said, then "CLIENT ok|fail". */
function clientsAgainst(name: string): string {
  const python =
    'import ssl, socket, sys; n = sys.argv[1]; ctx = ssl.create_default_context(); ' +
    's = ctx.wrap_socket(socket.create_connection((n, 61443), timeout=5), server_hostname=n); ' +
    "s.sendall(b'GET / HTTP/1.0\\r\\nHost: ' + n.encode() + b'\\r\\n\\r\\n'); " +
    "print(s.makefile('rb').read().decode().split('\\r\\n\\r\\n', 1)[1].strip())";
  return [
    `curl -sS -m 5 https://${name}:61443 && echo 'curl ok' || echo 'curl fail'`,
    `timeout 8 openssl s_client -connect ${name}:61443 -servername ${name} -verify_return_error -verify_hostname ${name} </dev/null >/tmp/s_client.out 2>&1 ` +
      `&& grep -q 'Verify return code: 0 (ok)' /tmp/s_client.out && echo 'openssl ok' || echo 'openssl fail'`,
    `python3 -c "${python}" ${name} && echo 'python ok' || echo 'python fail'`,
  ].join('; ');
}

function outcomes(stdout: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const m of stdout.matchAll(/^(curl|openssl|python) (ok|fail)$/gm)) result[m[1]!] = m[2]!;
  return result;
}

/** Served names of app-b's 61443 certificate, as seen from app-a. */
const SERVED_NAMES =
  'timeout 8 openssl s_client -connect app-b.apps.internal:61443 -servername app-b.apps.internal </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName';

/** Polls inside app-a (50 ms apart, up to a minute) until CHECK succeeds; prints the epoch ms when it did. */
function pollInside(check: string): string {
  return `for i in $(seq 1200); do if ${check}; then date +%s%3N; exit 0; fi; sleep 0.05; done; exit 1`;
}

// Two kinds of HTTPS traffic to app-b until stdin closes: one keep-alive connection, and a new connection
// per request. Prints "started" once both have succeeded, then "KIND ok N fail M" and the first errors.
const LOAD = `
import http.client, ssl, sys, threading
ctx = ssl.create_default_context()
host = 'app-b.apps.internal'
counts = {'keepalive': [0, 0], 'fresh': [0, 0]}
errors = []
stop = threading.Event()
def request(conn):
    conn.request('GET', '/')
    r = conn.getresponse()
    body = r.read()
    if r.status != 200 or not body.startswith(b'hello from app-b'):
        raise RuntimeError(f'status {r.status}: {body[:80]!r}')
def loop(kind):
    conn = http.client.HTTPSConnection(host, 61443, context=ctx, timeout=10)
    while not stop.is_set():
        try:
            if kind == 'fresh':
                conn = http.client.HTTPSConnection(host, 61443, context=ctx, timeout=10)
            request(conn)
            counts[kind][0] += 1
        except Exception as e:
            counts[kind][1] += 1
            errors.append(f'{kind}: {type(e).__name__} {e}')
            conn.close()
            conn = http.client.HTTPSConnection(host, 61443, context=ctx, timeout=10)
        if kind == 'fresh':
            conn.close()
threads = [threading.Thread(target=loop, args=(k,)) for k in counts]
for t in threads: t.start()
while not all(c[0] > 0 for c in counts.values()) and not errors:
    stop.wait(0.05)
print('started', flush=True)
sys.stdin.read()
stop.set()
for t in threads: t.join()
for kind, (ok, fail) in counts.items(): print(kind, 'ok', ok, 'fail', fail)
for e in errors[:5]: print('error', e)
`;

async function makeForeignClientCert(dir: string): Promise<{ cert: string; key: string }> {
  const file = (n: string) => path.join(dir, n);
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  for (const args of [
    [
      'req',
      '-x509',
      ...newKey,
      '-days',
      '1',
      '-subj',
      '/CN=not the platform CA',
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
    ],
    ['req', ...newKey, '-subj', '/CN=intruder', '-keyout', file('client.key'), '-out', file('client.csr')],
    [
      'x509',
      '-req',
      '-in',
      file('client.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      file('client.crt'),
    ],
  ]) {
    const r = await run('openssl', args);
    if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  }
  return {
    cert: fs.readFileSync(file('client.crt'), 'utf8'),
    key: fs.readFileSync(file('client.key'), 'utf8'),
  };
}

/** Shell that writes a file inside the container from base64 on the command line. */
function writeFile(target: string, content: string): string {
  return `printf %s ${Buffer.from(content).toString('base64')} | base64 -d >${target}`;
}

describe('platform HTTPS on 61443', () => {
  let host: WeftHost;

  before(async () => {
    host = await WeftHost.start();
    await host.push('app-a', 'http-app', 1);
    await host.push('app-b', 'http-app', 1);
    await host.push('app-c', 'http-app', 1);
    await host.cliOk('map-route', 'app-b', 'apps.internal', '--hostname', 'app-b');
    // 8080 is open to both callers; 61443 is not, yet.
    await host.cliOk(
      'add-network-policy',
      'app-a',
      '--destination-app',
      'app-b',
      '--protocol',
      'tcp',
      '--port',
      '8080',
    );
    await host.cliOk(
      'add-network-policy',
      'app-c',
      '--destination-app',
      'app-b',
      '--protocol',
      'tcp',
      '--port',
      '8080',
    );
    await Promise.all(['app-a', 'app-b', 'app-c'].map((a) => host.waitRunning(a, 1)));
  });

  after(async () => {
    await host?.shutdown();
  });

  test('without a 61443 policy no client connects, though 8080 is allowed', async () => {
    const r = await host.ssh(
      'app-a',
      `curl -sS -m 5 http://app-b.apps.internal:8080; ${clientsAgainst('app-b.apps.internal')}`,
    );
    assert.match(r.stdout, /^hello from app-b/, 'the 8080 policy works');
    assert.deepEqual(
      outcomes(r.stdout),
      { curl: 'fail', openssl: 'fail', python: 'fail' },
      r.stdout + r.stderr,
    );
  });

  test('with a 61443 policy curl, openssl and python verify app-b’s certificate and get its answer', async () => {
    await host.cliOk(
      'add-network-policy',
      'app-a',
      '--destination-app',
      'app-b',
      '--protocol',
      'tcp',
      '--port',
      '61443',
    );
    const r = await waitFor(
      'the clients to get through',
      async () => {
        const attempt = await host.ssh('app-a', clientsAgainst('app-b.apps.internal'));
        return Object.values(outcomes(attempt.stdout)).every((o) => o === 'ok') ? attempt : undefined;
      },
      60_000,
    );
    assert.deepEqual(outcomes(r.stdout), { curl: 'ok', openssl: 'ok', python: 'ok' });
    assert.equal(r.stdout.match(/^hello from app-b instance 0/gm)?.length, 2, r.stdout);
  });

  test('map-route serves the new name live and unmap-route takes it away, with the app untouched', async (t) => {
    const answer = async (name: string) =>
      (await host.ssh('app-a', `curl -sS -m 5 https://${name}:61443`)).stdout.trim();
    const before = await answer('app-b.apps.internal');
    assert.match(before, /^hello from app-b/);

    await host.cliOk('map-route', 'app-b', 'apps.internal', '--hostname', 'app-b-v2');
    const mapped = Date.now();
    const verified = await host.ssh(
      'app-a',
      pollInside(
        'timeout 8 openssl s_client -connect app-b-v2.apps.internal:61443 -servername app-b-v2.apps.internal ' +
          '-verify_return_error -verify_hostname app-b-v2.apps.internal </dev/null 2>&1 | grep -q "Verify return code: 0 (ok)"',
      ),
    );
    assert.equal(
      verified.code,
      0,
      `app-b-v2.apps.internal never verified:\n${verified.stdout}${verified.stderr}`,
    );
    t.diagnostic(
      `app-b-v2 verified ${Number(verified.stdout.trim()) - mapped} ms after map-route returned (weft ssh start included)`,
    );
    assert.equal(await answer('app-b-v2.apps.internal'), before, 'same process answers under the new name');
    assert.equal(await answer('app-b.apps.internal'), before, 'app-b was not restarted');

    await host.cliOk('unmap-route', 'app-b', 'apps.internal', '--hostname', 'app-b-v2');
    const unmapped = Date.now();
    const gone = await host.ssh('app-a', pollInside(`! (${SERVED_NAMES}) | grep -q app-b-v2`));
    assert.equal(gone.code, 0, `app-b-v2 still served:\n${gone.stdout}${gone.stderr}`);
    t.diagnostic(
      `app-b-v2 left the certificate ${Number(gone.stdout.trim()) - unmapped} ms after unmap-route returned (weft ssh start included)`,
    );
    const names = (await host.ssh('app-a', SERVED_NAMES)).stdout;
    assert.match(names, /DNS:app-b\.apps\.internal/);
    assert.doesNotMatch(names, /app-b-v2/);
  });

  test('delete-route takes the name out of the certificate and out of DNS, with the app untouched', async () => {
    await host.cliOk('map-route', 'app-b', 'apps.internal', '--hostname', 'app-b-v3');
    const served = await host.ssh('app-a', pollInside(`(${SERVED_NAMES}) | grep -q DNS:app-b-v3`));
    assert.equal(served.code, 0, `app-b-v3 never served:\n${served.stdout}${served.stderr}`);
    const resolved = await host.ssh('app-a', 'dig +short +time=2 +tries=3 app-b-v3.apps.internal');
    assert.match(resolved.stdout, /^10\./);

    await host.cliOk('delete-route', 'apps.internal', '--hostname', 'app-b-v3', '-f');
    const gone = await host.ssh('app-a', pollInside(`! (${SERVED_NAMES}) | grep -q app-b-v3`));
    assert.equal(gone.code, 0, `app-b-v3 still served:\n${gone.stdout}${gone.stderr}`);
    const dig = await host.ssh('app-a', 'dig +time=2 +tries=3 app-b-v3.apps.internal');
    assert.match(dig.stdout, /status: NXDOMAIN/);
    const answer = await host.ssh('app-a', 'curl -sS -m 5 https://app-b.apps.internal:61443');
    assert.match(answer.stdout, /^hello from app-b/);
  });

  test('delete-shared-domain takes its names out of the certificate, with the app untouched', async () => {
    await host.cliOk('create-shared-domain', 'corp.internal', '--internal');
    await host.cliOk('map-route', 'app-b', 'corp.internal', '--hostname', 'app-b');
    const served = await host.ssh('app-a', pollInside(`(${SERVED_NAMES}) | grep -q DNS:app-b.corp.internal`));
    assert.equal(served.code, 0, `app-b.corp.internal never served:\n${served.stdout}${served.stderr}`);

    await host.cliOk('delete-shared-domain', 'corp.internal', '-f');
    const gone = await host.ssh('app-a', pollInside(`! (${SERVED_NAMES}) | grep -q corp.internal`));
    assert.equal(gone.code, 0, `app-b.corp.internal still served:\n${gone.stdout}${gone.stderr}`);
    const answer = await host.ssh('app-a', 'curl -sS -m 5 https://app-b.apps.internal:61443');
    assert.match(answer.stdout, /^hello from app-b/);
  });

  test(`no request fails while a route is mapped and unmapped ${ROUTE_FLIPS} times`, async (t) => {
    const [domain] = (await host.api<{ guid: string; name: string }[]>('GET', '/v1/domains')).filter(
      (d) => d.name === 'apps.internal',
    );
    assert.ok(domain);
    const appB = await host.appGuid('app-b');
    const { spaceGuid } = await host.api<{ spaceGuid: string }>('GET', `/v1/apps/${appB}`);
    const route = await host.api<{ guid: string }>('POST', '/v1/routes', {
      host: 'app-b-flip',
      domainGuid: domain.guid,
      spaceGuid,
    });

    const load = host.pythonChild('app-a', LOAD);
    const lines: string[] = [];
    createInterface({ input: load.stdout! }).on('line', (l) => lines.push(l));
    let stderr = '';
    load.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = once(load, 'close');
    try {
      await waitFor('the load to start', () => (lines.includes('started') ? true : undefined), 60_000);
      for (let i = 0; i < ROUTE_FLIPS; i++) {
        await host.api('PUT', `/v1/routes/${route.guid}/apps/${appB}`);
        await host.api('DELETE', `/v1/routes/${route.guid}/apps/${appB}`);
      }
    } finally {
      load.stdin!.end();
      await closed;
    }
    t.diagnostic(lines.filter((l) => l !== 'started').join('; '));
    for (const kind of ['keepalive', 'fresh']) {
      const m = lines.map((l) => new RegExp(`^${kind} ok (\\d+) fail (\\d+)$`).exec(l)).find((x) => x);
      assert.ok(m, `no count for ${kind}:\n${lines.join('\n')}\n${stderr}`);
      assert.ok(Number(m[1]) > 0, `${kind} made no request`);
      assert.equal(Number(m[2]), 0, lines.join('\n'));
    }
  });

  test('with mutual TLS, only a platform identity of a caller allowed on 61443 gets through', async (t) => {
    const foreign = await makeForeignClientCert(host.work);
    await host.cliOk('enable-c2c-mtls', 'app-b');
    const url = 'https://app-b.apps.internal:61443';
    // Mutual TLS is applied live: wait until a client without a certificate is turned away.
    const refused = await host.ssh('app-a', pollInside(`! curl -sS -m 5 ${url} >/dev/null 2>&1`));
    assert.equal(refused.code, 0, 'a client without a certificate was still admitted');

    const r = await host.ssh(
      'app-a',
      [
        writeFile('/tmp/foreign.crt', foreign.cert),
        writeFile('/tmp/foreign.key', foreign.key),
        `curl -sS -m 5 ${url} >/dev/null 2>&1 && echo 'none admitted' || echo 'none refused'`,
        `curl -sS -m 5 --cert /tmp/foreign.crt --key /tmp/foreign.key ${url} >/dev/null 2>&1 && echo 'foreign admitted' || echo 'foreign refused'`,
        `curl -sS -m 5 --cert "$CF_INSTANCE_CERT" --key "$CF_INSTANCE_KEY" ${url} && echo 'identity admitted' || echo 'identity refused'`,
      ].join('; '),
    );
    assert.match(r.stdout, /^none refused$/m, r.stdout + r.stderr);
    assert.match(r.stdout, /^foreign refused$/m, r.stdout + r.stderr);
    assert.match(r.stdout, /^hello from app-b instance 0.*\nidentity admitted$/m, r.stdout + r.stderr);

    // app-c holds a valid identity but no 61443 policy: the kernel refuses it before TLS begins.
    const c = await host.ssh(
      'app-c',
      `curl -sS -m 5 --cert "$CF_INSTANCE_CERT" --key "$CF_INSTANCE_KEY" ${url} && echo 'identity admitted' || echo 'identity refused'`,
    );
    t.diagnostic(`app-c without a 61443 policy: ${c.stderr.trim()}`);
    assert.match(c.stdout, /^identity refused$/m, c.stdout + c.stderr);
  });
});

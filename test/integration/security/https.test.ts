// The API speaks HTTPS only, with a certificate from the platform CA that clients pin; a cell's token
// never sits on its command line. Each test is an attack that must fail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { startServer, tempDir, type TestServer } from '../../helpers/control-plane.js';
import { seedTenancy } from '../../helpers/fixtures.js';
import { weft } from '../cli/harness.js';

const CLI = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));
const API_NAME = 'api.weft.test';
const API_IP = '192.0.2.80';
// Long enough for any handshake or answer on a loaded machine; only reached when something hangs.
const ANSWER_WAIT_MS = 10_000;

let server: TestServer;
let other: TestServer;
let work: string;

before(async () => {
  server = await startServer({ flags: ['--api-name', API_NAME, '--api-name', API_IP] });
  other = await startServer();
  work = tempDir('weft-https-test-');
});
after(async () => {
  await server?.stop();
  await other?.stop();
  if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

const port = () => new URL(server.url).port;

/** Sends plain HTTP to the API's port and returns whatever comes back before the server hangs up. */
function plainHttp(): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(port()), '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => socket.destroy(), ANSWER_WAIT_MS);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

function curl(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('curl', ['--silent', '--show-error', '--max-time', '10', ...args], {
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The certificates the server presents, leaf first, read without trusting them. */
function servedChain(host: string): Promise<X509Certificate[]> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: Number(port()),
      servername: host,
      rejectUnauthorized: false,
    });
    socket.once('secureConnect', () => {
      const chain: X509Certificate[] = [];
      let cert = socket.getPeerCertificate(true);
      for (;;) {
        chain.push(new X509Certificate(cert.raw));
        if (cert.issuerCertificate === undefined || cert.issuerCertificate === cert) break;
        cert = cert.issuerCertificate;
      }
      socket.destroy();
      resolve(chain);
    });
    socket.once('error', reject);
  });
}

describe('the API over the network', () => {
  test('listens on https:// and plain HTTP to its port gets no API answer', async () => {
    assert.match(server.url, /^https:\/\//);
    const answer = await plainHttp();
    assert.doesNotMatch(answer, /^HTTP\//, 'no HTTP answer');
    assert.doesNotMatch(answer, /"ok"/);
    const r = curl([`http://127.0.0.1:${port()}/healthz`]);
    assert.notEqual(r.code, 0, r.stdout);
  });

  test('a TLS client that does not trust the platform CA fails verification; with the CA it verifies', () => {
    const untrusting = curl([`${server.url}/healthz`]);
    assert.equal(untrusting.code, 60, `curl: ${untrusting.stderr}`);
    const wrongCa = curl(['--cacert', other.caFile, `${server.url}/healthz`]);
    assert.equal(wrongCa.code, 60, `curl with another platform's CA: ${wrongCa.stderr}`);
    const trusting = curl(['--cacert', server.caFile, `${server.url}/healthz`]);
    assert.equal(trusting.code, 0, trusting.stderr);
    assert.deepEqual(JSON.parse(trusting.stdout), { ok: true });
  });

  test('openssl s_client without the CA reports a verification failure', () => {
    const args = ['s_client', '-connect', `127.0.0.1:${port()}`, '-verify_return_error', '-brief'];
    const without = spawnSync('openssl', args, { input: '', encoding: 'utf8', timeout: ANSWER_WAIT_MS });
    assert.notEqual(without.status, 0, without.stderr);
    const withCa = spawnSync('openssl', [...args, '-CAfile', server.caFile], {
      input: '',
      encoding: 'utf8',
      timeout: ANSWER_WAIT_MS,
    });
    assert.equal(withCa.status, 0, withCa.stderr);
  });

  test('the certificate names localhost, the loopback addresses and each --api-name, and carries its CA', async () => {
    const [leaf, ca, ...rest] = await servedChain('localhost');
    assert.ok(leaf && ca, 'a leaf and its CA');
    assert.deepEqual(rest, []);
    const names = (leaf.subjectAltName ?? '').split(', ');
    for (const name of [
      'DNS:localhost',
      'IP Address:127.0.0.1',
      'IP Address:0:0:0:0:0:0:0:1',
      `DNS:${API_NAME}`,
      `IP Address:${API_IP}`,
    ]) {
      assert.ok(names.includes(name), `${name} in ${leaf.subjectAltName}`);
    }
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
    assert.equal(ca.fingerprint256, new X509Certificate(fs.readFileSync(server.caFile)).fingerprint256);
    const byName = curl([
      '--cacert',
      server.caFile,
      '--resolve',
      `${API_NAME}:${port()}:127.0.0.1`,
      `https://${API_NAME}:${port()}/healthz`,
    ]);
    assert.equal(byName.code, 0, byName.stderr);
    const unnamed = curl([
      '--cacert',
      server.caFile,
      '--resolve',
      `evil.test:${port()}:127.0.0.1`,
      `https://evil.test:${port()}/healthz`,
    ]);
    assert.equal(unnamed.code, 60, 'a name the certificate does not carry fails');
  });

  test('the server key is not written anywhere under its home', () => {
    const keys = fs
      .readdirSync(server.home, { recursive: true, encoding: 'utf8' })
      .filter((f) => fs.statSync(path.join(server.home, f)).isFile())
      .filter((f) => fs.readFileSync(path.join(server.home, f), 'latin1').includes('PRIVATE KEY'));
    assert.deepEqual(keys, ['ca/ca.key'], 'only the CA key, 0600');
    assert.equal(fs.statSync(path.join(server.home, 'ca/ca.key')).mode & 0o777, 0o600);
  });
});

describe('weft api pins the platform CA', () => {
  const config = () => path.join(work, `cli-${Math.random().toString(36).slice(2)}.json`);

  test('a wrong --ca-fingerprint is refused and nothing is saved', async () => {
    const file = config();
    const wrong = new X509Certificate(fs.readFileSync(other.caFile)).fingerprint256;
    const r = await weft(['api', server.url, '--ca-fingerprint', wrong], { config: file, home: work });
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /fingerprint/i);
    assert.equal(fs.existsSync(file), false);
  });

  test('without a terminal, --ca-cert or --ca-fingerprint is required', async () => {
    const r = await weft(['api', server.url], { config: config(), home: work });
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /--ca-cert|--ca-fingerprint/);
  });

  test('the right fingerprint pins the CA, and later commands verify against it', async () => {
    const file = config();
    const right = new X509Certificate(fs.readFileSync(server.caFile)).fingerprint256;
    const r = await weft(['api', server.url, '--ca-fingerprint', right.toLowerCase()], {
      config: file,
      home: work,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(right));
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { caCert?: string };
    assert.equal(saved.caCert?.trim(), fs.readFileSync(server.caFile, 'utf8').trim());
    const login = await weft(['login', '--token', server.adminToken], { config: file, home: work });
    assert.equal(login.code, 0, login.stderr);
  });

  test("another server's CA given with --ca-cert does not verify this server", async () => {
    const r = await weft(['api', server.url, '--ca-cert', other.caFile], { config: config(), home: work });
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /certificate/i);
  });

  test('a pinned CA is not trusted for a server it did not sign', async () => {
    const file = config();
    assert.equal(
      (await weft(['api', server.url, '--ca-cert', server.caFile], { config: file, home: work })).code,
      0,
    );
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { api: string };
    fs.writeFileSync(file, JSON.stringify({ ...saved, api: other.url, token: other.adminToken }), {
      mode: 0o600,
    });
    const r = await weft(['orgs'], { config: file, home: work });
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /certificate/i);
  });

  test('on a terminal, weft api shows the CA fingerprint and trusts it only when told yes', () => {
    const fingerprint = new X509Certificate(fs.readFileSync(server.caFile)).fingerprint256;
    const onTerminal = (answer: string, file: string) =>
      // script(1) gives the CLI a terminal, as a person at a shell would.
      spawnSync(
        'script',
        ['-qec', `${process.execPath} --import tsx ${CLI} api ${server.url}`, '/dev/null'],
        {
          input: `${answer}\n`,
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, WEFT_CLI_CONFIG: file, WEFT_HOME: work, NO_COLOR: '1' },
        },
      );
    const refused = config();
    const no = onTerminal('n', refused);
    assert.notEqual(no.status, 0, no.stdout);
    assert.match(no.stdout, new RegExp(fingerprint));
    assert.equal(fs.existsSync(refused), false);
    const trusted = config();
    const yes = onTerminal('y', trusted);
    assert.equal(yes.status, 0, yes.stdout);
    const saved = JSON.parse(fs.readFileSync(trusted, 'utf8')) as { caCert?: string };
    assert.equal(saved.caCert?.trim(), fs.readFileSync(server.caFile, 'utf8').trim());
  });

  test('an http:// URL is refused with a clear message', async () => {
    const insecure = server.url.replace('https://', 'http://');
    const r = await weft(['api', insecure, '--ca-cert', server.caFile], { config: config(), home: work });
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /https:\/\//);
  });
});

/** Starts `weft cell` as node itself (no wrapper), so its PID is the process that holds the token. */
function startCell(args: string[], env: NodeJS.ProcessEnv = {}) {
  const home = tempDir('weft-https-cell-');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'cell',
      '--host-ip',
      '127.0.0.1',
      '--table',
      'weft_https_test',
      '--iface-prefix',
      'wht',
      ...args,
    ],
    {
      env: { ...process.env, WEFT_HOME: home, WEFT_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // Read at once: spawn returns after exec, and the process cannot be reaped before this event loop turn.
  const cmdline = child.pid === undefined ? '' : fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8');
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    cmdline: cmdline.split('\0'),
    /** Waits for the cell to give up; a cell still running after the wait is killed and fails the test. */
    async result(): Promise<{ code: number | null; output: string }> {
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      const code = await exited;
      clearTimeout(timer);
      fs.rmSync(home, { recursive: true, force: true });
      return { code, output };
    },
  };
}

describe('a cell’s token stays off its command line', () => {
  let developerToken: string;
  before(async () => {
    developerToken = (await seedTenancy(server)).developerToken;
  });

  function tokenFile(token: string, mode: number): string {
    const file = path.join(work, `token-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(file, `${token}\n`, { mode });
    fs.chmodSync(file, mode);
    return file;
  }

  test('weft cell --token is no longer accepted', async () => {
    const cell = startCell(['--api', server.url, '--ca-cert', server.caFile, '--token', developerToken]);
    const { code, output } = await cell.result();
    assert.notEqual(code, 0);
    assert.match(output, /Incorrect Usage: unknown flag `token'/);
  });

  test('a token file others can read is refused', async () => {
    const file = tokenFile(developerToken, 0o644);
    const { code, output } = await startCell([
      '--api',
      server.url,
      '--ca-cert',
      server.caFile,
      '--token-file',
      file,
    ]).result();
    assert.notEqual(code, 0);
    assert.match(output, new RegExp(`${file}.*(readable|permissions)`));
  });

  test('a cell started with --token-file sends that token, and it is not in /proc/PID/cmdline', async () => {
    const file = tokenFile(developerToken, 0o600);
    const cell = startCell(['--api', server.url, '--ca-cert', server.caFile, '--token-file', file]);
    assert.ok(cell.cmdline.includes('--token-file'), cell.cmdline.join(' '));
    assert.ok(!cell.cmdline.some((arg) => arg.includes(developerToken)), 'the token is on the command line');
    // A developer's token is refused at registration: the cell read it, sent it, and stopped there.
    const { code, output } = await cell.result();
    assert.notEqual(code, 0);
    assert.match(output, /403/);
  });

  test('a cell takes its token from WEFT_TOKEN', async () => {
    const cell = startCell(['--api', server.url, '--ca-cert', server.caFile], { WEFT_TOKEN: developerToken });
    assert.ok(!cell.cmdline.some((arg) => arg.includes(developerToken)));
    const { code, output } = await cell.result();
    assert.notEqual(code, 0);
    assert.match(output, /403/);
  });

  test('a cell does not send its token to a server its CA did not sign', async () => {
    const file = tokenFile(developerToken, 0o600);
    const { code, output } = await startCell([
      '--api',
      server.url,
      '--ca-cert',
      other.caFile,
      '--token-file',
      file,
    ]).result();
    assert.notEqual(code, 0);
    assert.doesNotMatch(output, /\b403\b/);
    assert.match(output, /certificate/i);
  });
});

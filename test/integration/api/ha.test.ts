// Two weft servers on one PostgreSQL act as one control plane: one CA, sealed in the database under the
// operator's key; tokens and revocations hold on both; a cell and the CLI given both URLs carry on
// through the second when the first is killed, and nothing acknowledged is lost or fails open.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { newSealKeyFile, startServer, tempDir, type TestServer } from '../../helpers/control-plane.js';
import { testDatabases } from '../../helpers/databases.js';
import { wirePolicy } from '../../helpers/fixtures.js';
import { freeOverlay, run, waitFor, WeftHost, type InstanceInfo } from '../../helpers/weft-host.js';
import { probeFrom } from '../cell/probes.js';

const POLICIES = '/networking/v1/external/policies';
const KERNEL_DEADLINE_MS = 30_000;
const databases = testDatabases();
const work = tempDir('weft-ha-');
let database = '';
let overlay = '';
/** Whichever server won the race to create it: the helper's own admin token stays empty. */
let adminToken = '';
let sealKeyFile = '';
let a: TestServer;
let b: TestServer;
let host: WeftHost | null = null;
let appA: InstanceInfo & { ip: string };
let appB: InstanceInfo & { ip: string };

/** The cell's allowed tcp (source, destination, port) elements, as nft lists them. */
async function tcpAllowed(): Promise<string> {
  const r = await run('nft', ['list', 'set', 'inet', host?.table ?? '', 'tcp_ports']);
  if (r.code !== 0) throw new Error(`nft list set failed: ${r.stderr}`);
  return r.stdout.replace(/\s+/g, ' ');
}

const allowsPort = async (port: number) => (await tcpAllowed()).includes(` . ${port}`);

/** Which of app-a → app-b and app-b → app-a connect on 8080. */
async function matrix(): Promise<{ aToB: string; bToA: string }> {
  const fromA = await probeFrom(host!, 'app-a', 0, [appB.ip], 8080);
  const fromB = await probeFrom(host!, 'app-b', 0, [appA.ip], 8080);
  return { aToB: fromA.get(`tcp ${appB.ip}`) ?? '?', bToA: fromB.get(`tcp ${appA.ip}`) ?? '?' };
}

describe('two API servers on one PostgreSQL', () => {
  before(async () => {
    database = (await databases.fresh('postgres', 'ha')) ?? '';
    sealKeyFile = newSealKeyFile();
    overlay = await freeOverlay();
    const flags = ['--overlay', overlay];
    // Started at once on an empty database: both race to create the CA and the admin token.
    const start = () => startServer({ database, sealKeyFile, flags, adminToken: '' });
    [a, b] = await Promise.all([start(), start()]);
    adminToken = [a, b]
      .map((s) => path.join(s.home, 'admin-token'))
      .filter((file) => fs.existsSync(file))
      .map((file) => fs.readFileSync(file, 'utf8').trim())
      .join('');
    // What an operator hands the cell host: the CA certificate, a token, the servers' URLs.
    const caFile = path.join(work, 'ca.crt');
    fs.writeFileSync(caFile, a.caPem);
    host = await WeftHost.start({ control: { urls: [a.url, b.url], caFile, token: adminToken, overlay } });
    await host.push('app-a', 'http-app', 1);
    await host.push('app-b', 'http-app', 1);
    appA = (await host.waitRunning('app-a', 1))[0]!;
    appB = (await host.waitRunning('app-b', 1))[0]!;
  });
  after(async () => {
    await host?.shutdown();
    for (const s of [a, b]) await s?.stop();
    await databases.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('both servers started at once sign with one CA, whose key the database holds sealed', async () => {
    assert.equal(a.caPem, b.caPem);
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      const rows = (
        await client.query<{ cert_pem: string; sealed_key: string }>('select * from certificate_authority')
      ).rows;
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.cert_pem, a.caPem);
      assert.doesNotMatch(JSON.stringify(rows), /PRIVATE KEY/);
    } finally {
      await client.end();
    }
  });

  test('a server with another seal key, or none, refuses to start', async () => {
    await assert.rejects(
      startServer({ database, sealKeyFile: newSealKeyFile(), flags: ['--overlay', overlay] }),
      /does not open with the seal key.*authentication failed/s,
    );
    await assert.rejects(
      startServer({ database, sealKeyFile: '', flags: ['--overlay', overlay] }),
      /holds the platform CA, sealed/,
    );
  });

  test('a token made through one server works on the other, and is refused there once revoked', async () => {
    const made = await a.api<{ token: string }>(
      'POST',
      '/v1/tokens',
      { name: 'ha-dev', role: 'admin' },
      adminToken,
    );
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal((await b.api('GET', '/v1/info', undefined, made.body.token)).status, 200);
    assert.equal((await a.api('DELETE', '/v1/tokens/ha-dev', undefined, adminToken)).status, 204);
    assert.equal((await b.api('GET', '/v1/info', undefined, made.body.token)).status, 401);
  });

  test('each server lists the certificates issued to an app, whichever server issued them', async () => {
    const guid = await host!.appGuid('app-b');
    type Issued = { index: number; kind: string; names: string[]; serial: string }[];
    const [viaA, viaB] = await Promise.all(
      [a, b].map((s) => s.api<Issued>('GET', `/v1/apps/${guid}/certificates`, undefined, adminToken)),
    );
    assert.equal(viaA?.status, 200);
    assert.deepEqual(viaA?.body, viaB?.body);
    const identity = viaB?.body.find((c) => c.kind === 'identity');
    assert.ok(identity?.names.includes(`IP Address:${appB.ip}`), JSON.stringify(viaB?.body));
    assert.deepEqual(viaB?.body.map((c) => c.kind).sort(), ['c2c', 'identity']);
  });

  test('a server whose PostgreSQL listener is cut hears the other server’s commits again', async () => {
    const [srcGuid, dstGuid] = [await host!.appGuid('app-a'), await host!.appGuid('app-b')];
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    try {
      const cut = await client.query(
        "select pg_terminate_backend(pid) from pg_stat_activity where query like 'listen %'",
      );
      assert.equal(cut.rowCount, 2, 'both servers listen');
    } finally {
      await client.end();
    }
    // The cell follows one of the two; a write through each must reach it.
    for (const [server, port] of [
      [a, 7001],
      [b, 7002],
    ] as const) {
      const body = { policies: [wirePolicy(srcGuid, dstGuid, port)] };
      assert.equal((await server.api('POST', POLICIES, body, adminToken)).status, 200);
      await untilKernel(`a policy written through ${server.url}`, port, true);
      assert.equal((await server.api('POST', `${POLICIES}/delete`, body, adminToken)).status, 200);
      await untilKernel(`its removal through ${server.url}`, port, false);
    }
  });

  test('with one server killed, the CLI and the cell carry on through the other', async (t) => {
    const policy = (src: string, dst: string) => [src, dst, '--protocol', 'tcp', '--port', '8080'];
    let started = Date.now();
    await host!.cliOk('add-network-policy', ...policy('app-a', 'app-b'));
    const cliBothUpMs = Date.now() - started;
    await untilKernel('the policy', 8080, true);
    assert.deepEqual(await matrix(), { aToB: 'ok', bToA: 'fail' });
    const [srcGuid, dstGuid] = [await host!.appGuid('app-a'), await host!.appGuid('app-b')];

    // Acknowledged by the server about to die, maybe before the cell heard of it.
    const acknowledged = await a.api(
      'POST',
      POLICIES,
      { policies: [wirePolicy(srcGuid, dstGuid, 9999)] },
      adminToken,
    );
    assert.equal(acknowledged.status, 200);
    const killedAt = Date.now();
    await a.kill();
    host!.useServer(b.url);
    // Until the other server's changes arrive, the kernel keeps what it had: nothing opens or closes.
    assert.ok((await tcpAllowed()).includes(' . 8080'), 'the policy still holds right after the kill');

    const removed = await b.api(
      'POST',
      `${POLICIES}/delete`,
      { policies: [wirePolicy(srcGuid, dstGuid, 8080)] },
      adminToken,
    );
    assert.equal(removed.status, 200);
    await untilKernel('the removal written through the other server', 8080, false);
    const failoverMs = Date.now() - killedAt;
    await untilKernel('the policy acknowledged before the kill', 9999, true);
    assert.deepEqual(await matrix(), { aToB: 'fail', bToA: 'fail' });

    // The CLI, given both servers, finds the first one dead and carries on through the second.
    started = Date.now();
    await host!.cliOk('add-network-policy', ...policy('app-b', 'app-a'));
    const cliOneDownMs = Date.now() - started;
    await untilKernel('the policy added through the CLI', 8080, true);
    assert.deepEqual(await matrix(), { aToB: 'fail', bToA: 'ok' });
    await host!.cliOk('remove-network-policy', ...policy('app-b', 'app-a'));
    await untilKernel('the policy removed through the CLI', 8080, false);
    assert.deepEqual(await matrix(), { aToB: 'fail', bToA: 'fail' });

    t.diagnostic(`server killed → a write through the other server in the cell's kernel: ${failoverMs} ms`);
    t.diagnostic(
      `CLI add-network-policy, both servers up: ${cliBothUpMs} ms; first one dead: ${cliOneDownMs} ms`,
    );
  });
});

async function untilKernel(what: string, port: number, present: boolean): Promise<void> {
  await waitFor(
    `${what} in the kernel`,
    async () => ((await allowsPort(port)) === present ? true : undefined),
    KERNEL_DEADLINE_MS,
    20,
  );
}

// A user's session with the real CLI against a real control plane: cf's commands, output and failures.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { packApp } from '../../../src/package/pack.js';
import { failedWith, startServer, succeeded, tempDir, weft, type Server } from './harness.js';

let server: Server;
let work: string;
let adminConfig: string;

const admin = (...args: string[]) => weft(args, { config: adminConfig, home: server.home });

function row(out: string, first: string): string[] {
  const line = out.split('\n').find((l) => l.split(/\s{2,}/)[0] === first);
  assert.ok(line !== undefined, `no row starting with ${first} in:\n${out}`);
  return line.split(/\s{2,}/);
}

function hasRow(out: string, first: string): boolean {
  return out.split('\n').some((l) => l.split(/\s{2,}/)[0] === first);
}

/** A port that refuses connections: bound once, then let go. */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

before(async () => {
  server = await startServer();
  work = tempDir('weft-cli-work-');
  adminConfig = path.join(work, 'admin.json');
});

after(async () => {
  await server?.stop();
  if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

describe('a session with the weft CLI', () => {
  test('login on the API host finds the admin token by itself and keeps it private', async () => {
    const out = succeeded(await admin('login', '-a', server.url));
    assert.match(out, /Authenticating\.\.\.\nOK/);
    assert.match(out, /user:\s+admin/);
    assert.equal(fs.statSync(adminConfig).mode & 0o777, 0o600);
  });

  test('an app command without a targeted space says how to target one', async () => {
    succeeded(await admin('create-org', 'o1'));
    succeeded(await admin('target', '-o', 'o1'));
    failedWith(await admin('apps'), /No space targeted, use 'weft target -s SPACE'/);
  });

  test('create-space and target set the org and space', async () => {
    assert.match(
      succeeded(await admin('create-space', 's1')),
      /Creating space s1 in org o1 as admin\.\.\.\nOK/,
    );
    succeeded(await admin('create-space', 's2', '-o', 'o1'));
    const out = succeeded(await admin('target', '-o', 'o1', '-s', 's1'));
    assert.match(out, /org:\s+o1\nspace:\s+s1/);
    assert.deepEqual(row(succeeded(await admin('spaces')), 's2'), ['s2']);
  });

  test('push with flags creates the app and shows it', async () => {
    const dir = path.join(work, 'a');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'server.js'), 'a');
    const out = succeeded(
      await admin('push', 'app-a', '-c', 'node server.js', '-p', dir, '-i', '2', '-m', '512M'),
    );
    assert.match(out, /Pushing app app-a to org o1 \/ space s1 as admin\.\.\./);
    assert.match(out, /memory:\s+512M/);
    assert.match(out, /Packaging files to upload\.\.\.\nUploading files \(1 file, \d+B\)\.\.\./);
    assert.match(out, /package:\s+sha256:[0-9a-f]{64} \(\d+B\)/);
    assert.match(out, /instances:\s+\d\/2/);
  });

  test('push -f reads a cf manifest, paths relative to it, and maps its routes', async () => {
    fs.mkdirSync(path.join(work, 'b'));
    fs.writeFileSync(path.join(work, 'b', 'serve'), 'b');
    const manifest = path.join(work, 'manifest.yml');
    fs.writeFileSync(
      manifest,
      [
        'applications:',
        '- name: app-b',
        '  command: ./serve',
        '  path: ./b',
        '  memory: 1G',
        '  env: {GREETING: hi}',
        '  routes:',
        '  - route: app-b.apps.internal',
      ].join('\n'),
    );
    const out = succeeded(await admin('push', '-f', manifest));
    assert.match(out, /Mapping route app-b\.apps\.internal to app app-b/);
    const app = succeeded(await admin('app', 'app-b'));
    assert.match(app, /routes:\s+app-b\.apps\.internal\n/);
    const packed = await packApp(path.join(work, 'b'), { maxBytes: 1e6 });
    await packed.dispose();
    assert.match(app, new RegExp(`package:\\s+sha256:${packed.digest} `));
    assert.match(app, /memory:\s+1G/);
  });

  test('push of an existing app updates it', async () => {
    succeeded(await admin('push', 'app-a', '-p', path.join(work, 'a'), '-i', '3', '--no-start'));
    assert.deepEqual(row(succeeded(await admin('apps')), 'app-a').slice(0, 4), [
      'app-a',
      'stopped',
      '0/3',
      '512M',
    ]);
  });

  test('apps prints an aligned table with state, instances, memory and routes', async () => {
    const lines = succeeded(await admin('apps')).split('\n');
    const header = lines.find((l) => l.startsWith('name'));
    assert.match(header ?? '', /^name\s+requested state\s+instances\s+memory\s+routes$/);
    const appB = lines.find((l) => l.startsWith('app-b')) ?? '';
    assert.match(appB, /^app-b\s+started\s+\d\/1\s+1G\s+app-b\.apps\.internal$/);
    const appA = lines.find((l) => l.startsWith('app-a')) ?? '';
    for (const column of ['requested state', 'instances', 'memory']) {
      const at = header?.indexOf(column) ?? -1;
      for (const line of [appA, appB]) {
        assert.equal(line.charAt(at - 1), ' ', `${column}: a gap before the column`);
        assert.notEqual(line.charAt(at), ' ', `${column}: the value starts where its header does`);
      }
    }
  });

  test('app shows its settings and an instance table', async () => {
    const out = succeeded(await admin('app', 'app-b'));
    assert.match(out, /Showing health and status for app app-b in org o1 \/ space s1 as admin/);
    assert.match(out, /requested state:\s+started/);
    assert.match(out, /^index\s+state\s+ip\s+since$/m);
    assert.match(out, /^0\s+\w+/m);
  });

  test('scale changes instances and memory', async () => {
    assert.match(succeeded(await admin('scale', 'app-b', '-i', '2', '-m', '256M')), /Scaling app app-b/);
    assert.deepEqual(row(succeeded(await admin('apps')), 'app-b').slice(2, 4), ['0/2', '256M']);
    failedWith(await admin('scale', 'app-b'), /give -i INSTANCES and\/or -m MEMORY/);
    failedWith(await admin('scale', 'app-b', '-m', '256'), /expected a size with a unit/);
  });

  test('start and stop change the requested state', async () => {
    assert.match(
      succeeded(await admin('start', 'app-a')),
      /Starting app app-a in org o1 \/ space s1 as admin/,
    );
    assert.equal(row(succeeded(await admin('apps')), 'app-a')[1], 'started');
    succeeded(await admin('stop', 'app-a'));
    assert.equal(row(succeeded(await admin('apps')), 'app-a')[1], 'stopped');
    assert.match(succeeded(await admin('stop', 'app-a')), /already stopped/);
    succeeded(await admin('restart', 'app-a'));
    assert.equal(row(succeeded(await admin('apps')), 'app-a')[1], 'started');
  });

  test('map-route and unmap-route change what routes lists', async () => {
    succeeded(await admin('map-route', 'app-a', 'apps.internal', '--hostname', 'alias'));
    assert.deepEqual(row(succeeded(await admin('routes')), 'alias'), ['alias', 'apps.internal', 'app-a']);
    succeeded(await admin('map-route', 'app-b', 'apps.internal', '--hostname', 'alias'));
    assert.equal(row(succeeded(await admin('routes')), 'alias')[2], 'app-a, app-b');
    succeeded(await admin('unmap-route', 'app-a', 'apps.internal', '--hostname', 'alias'));
    assert.equal(row(succeeded(await admin('routes')), 'alias')[2], 'app-b');
    failedWith(
      await admin('map-route', 'app-a', 'nowhere.test', '--hostname', 'x'),
      /Domain 'nowhere\.test' not found/,
    );
  });

  test('create-shared-domain adds an internal domain that domains lists', async () => {
    succeeded(await admin('create-shared-domain', 'corp.internal', '--internal'));
    assert.deepEqual(row(succeeded(await admin('domains')), 'corp.internal'), [
      'corp.internal',
      'shared',
      'true',
    ]);
  });

  test('add-network-policy takes the cf v7 and v6 forms, ranges, udp and other spaces', async () => {
    succeeded(await admin('target', '-s', 's2'));
    succeeded(await admin('push', 'app-c', '-c', './c', '-p', work));
    succeeded(await admin('target', '-s', 's1'));
    const v7 = succeeded(await admin('add-network-policy', 'app-a', 'app-b'));
    assert.match(
      v7,
      /Adding network policy from app app-a to app app-b in org o1 \/ space s1 as admin\.\.\.\nOK/,
    );
    succeeded(
      await admin(
        'add-network-policy',
        'app-a',
        '--destination-app',
        'app-b',
        '--protocol',
        'tcp',
        '--port',
        '9000-9010',
      ),
    );
    succeeded(await admin('add-network-policy', 'app-b', 'app-a', '--protocol', 'udp', '--port', '53'));
    const across = succeeded(
      await admin('add-network-policy', 'app-a', 'app-c', '-s', 's2', '--protocol', 'tcp', '--port', '61443'),
    );
    assert.match(across, /from app app-a in org o1 \/ space s1 to app app-c in org o1 \/ space s2/);

    const out = succeeded(await admin('network-policies'));
    assert.match(out, /^source\s+destination\s+protocol\s+ports\s+destination space\s+destination org$/m);
    const rows = out
      .split('\n')
      .filter((l) => /^app-[ab]\s/.test(l))
      .map((l) => l.split(/\s{2,}/));
    assert.deepEqual(rows.map((r) => r.join(' ')).sort(), [
      'app-a app-b tcp 8080 s1 o1',
      'app-a app-b tcp 9000-9010 s1 o1',
      'app-a app-c tcp 61443 s2 o1',
      'app-b app-a udp 53 s1 o1',
    ]);
    const fromB = succeeded(await admin('network-policies', '--source', 'app-b'));
    assert.equal(fromB.split('\n').filter((l) => l.startsWith('app-a')).length, 0);
    assert.equal(fromB.split('\n').filter((l) => l.startsWith('app-b')).length, 1);
  });

  test('remove-network-policy takes the same flags and the policy goes away', async () => {
    const out = succeeded(
      await admin(
        'remove-network-policy',
        'app-b',
        '--destination-app',
        'app-a',
        '--protocol',
        'udp',
        '--port',
        '53',
      ),
    );
    assert.match(out, /Removing network policy from app app-b to app app-a/);
    assert.equal(hasRow(succeeded(await admin('network-policies', '--source', 'app-b')), 'app-b'), false);
  });

  test('enable-c2c-mtls and disable-c2c-mtls switch mutual TLS on the app', async () => {
    succeeded(await admin('enable-c2c-mtls', 'app-b'));
    assert.match(succeeded(await admin('app', 'app-b')), /c2c mtls:\s+on/);
    succeeded(await admin('disable-c2c-mtls', 'app-b'));
    assert.match(succeeded(await admin('app', 'app-b')), /c2c mtls:\s+off/);
  });

  test('events lists the writes, newest first, naming what changed', async () => {
    const out = succeeded(await admin('events', '--limit', '100'));
    assert.match(out, /^time\s+actor\s+action\s+target$/m);
    for (const want of [
      /admin:admin\s+org\.create\s+org o1/,
      /admin:admin\s+app\.create\s+app app-a/,
      /admin:admin\s+app\.update\s+app app-b/,
      /admin:admin\s+route\.map\s+route alias/,
      /admin:admin\s+route\.unmap\s+route alias/,
      /admin:admin\s+policy\.create\s+policies/,
      /admin:admin\s+policy\.delete\s+policies/,
    ]) {
      assert.match(out, want);
    }
    const actions = out
      .split('\n')
      .filter((l) => l.includes('admin:admin'))
      .map((l) => l.split(/\s{2,}/)[2]);
    assert.equal(actions[0], 'app.update', 'the last write comes first');
  });

  test('bad input fails locally with a clear message', async () => {
    failedWith(await admin('add-network-policy', 'app-a', 'nope'), /App 'nope' not found in space 's1'/);
    failedWith(await admin('app', 'nope'), /App 'nope' not found/);
    failedWith(
      await admin('add-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '70000'),
      /70000 is not a port between 1 and 65535/,
    );
    failedWith(
      await admin('add-network-policy', 'app-a', 'app-b', '--protocol', 'tcp', '--port', '9000-8000'),
      /start port 9000 is greater/,
    );
    failedWith(
      await admin('add-network-policy', 'app-a', 'app-b', '--protocol', 'icmp', '--port', '8080'),
      /protocol must be tcp or udp/,
    );
    failedWith(
      await admin('add-network-policy', 'app-a'),
      /the required argument `DESTINATION_APP` was not provided/,
    );
    failedWith(await admin('push', 'app-new', '-p', work), /needs a start command/);
  });

  test('the server refusing input fails with its message', async () => {
    failedWith(await admin('create-org', 'o1'), /org o1 already exists/);
    failedWith(await admin('create-space', 'bad name!'), /name/);
  });

  test('a wrong token or an unreachable API fails with words, not a trace', async () => {
    const config = path.join(work, 'stranger.json');
    failedWith(
      await weft(['login', '-a', server.url, '--ca-cert', server.caFile, '--token', 'weft_wrong'], {
        config,
      }),
      /the token is not valid/,
    );
    failedWith(await weft(['apps'], { config }), /No API endpoint set/);
    const url = `https://127.0.0.1:${await closedPort()}`;
    failedWith(
      await weft(['login', '-a', url, '--ca-cert', server.caFile, '--token', 'x'], { config }),
      new RegExp(`cannot reach the weft API at ${url}; is \`weft up\` or \`weft server\` running\\?`),
    );
  });

  test('api shows and sets the endpoint, and a different endpoint needs a new login', async () => {
    const config = path.join(work, 'api.json');
    const user = (...args: string[]) => weft(args, { config, home: server.home });
    assert.match(succeeded(await user('api')), /No API endpoint set/);
    assert.match(
      succeeded(await user('api', `${server.url}/`)),
      new RegExp(`API endpoint:\\s+${server.url}\n`),
    );
    succeeded(await user('login'));
    succeeded(await user('api', server.url));
    assert.match(succeeded(await user('target')), /user:\s+admin/, 'the same endpoint keeps the login');
    failedWith(await user('api', `https://127.0.0.1:${await closedPort()}`), /cannot reach the weft API/);
    failedWith(await user('api', 'ftp://example.com'), /expected an https:\/\/ URL/);
    const other = server.url.replace('127.0.0.1', 'localhost');
    assert.match(succeeded(await user('api', other)), /Not logged in/);
    failedWith(await user('apps'), /Not logged in\. Use 'weft login'/);
  });

  test('a space developer may write policies in their space and is refused elsewhere', async () => {
    const created = succeeded(await admin('create-token', 'dev1', '--role', 'space_developer', '-s', 's1'));
    const token = /token:\s+(weft_\S+)/.exec(created)?.[1];
    assert.ok(token !== undefined, created);
    const config = path.join(work, 'dev.json');
    const dev = (...args: string[]) => weft(args, { config });
    const login = succeeded(
      await dev('login', '-a', server.url, '--ca-cert', server.caFile, '--token', token),
    );
    assert.match(login, /user:\s+dev1\norg:\s+o1\nspace:\s+s1/, 'the only space is targeted');

    assert.match(
      succeeded(await dev('add-network-policy', 'app-b', 'app-a', '--protocol', 'tcp', '--port', '7000')),
      /as dev1\.\.\.\nOK/,
    );
    failedWith(
      await dev('add-network-policy', 'app-a', 'app-c', '-s', 's2'),
      /Space 's2' not found in org 'o1'/,
    );
    failedWith(await dev('events'), /needs the admin role/);
    failedWith(await dev('create-org', 'o2'), /needs the admin role/);
  });

  test('set-env and unset-env change what env shows, and a bad name is refused', async () => {
    succeeded(await admin('target', '-s', 's1'));
    assert.match(
      succeeded(await admin('set-env', 'app-a', 'GREETING', 'hello world')),
      /Setting env variable GREETING for app app-a in org o1 \/ space s1 as admin\.\.\.\nOK/,
    );
    succeeded(await admin('set-env', 'app-a', 'LEVEL', '2'));
    assert.match(succeeded(await admin('env', 'app-a')), /User-Provided:\nGREETING: hello world\nLEVEL: 2\n/);
    succeeded(await admin('unset-env', 'app-a', 'GREETING'));
    assert.match(succeeded(await admin('env', 'app-a')), /User-Provided:\nLEVEL: 2\n$/);
    assert.match(
      succeeded(await admin('unset-env', 'app-a', 'GREETING')),
      /Env variable GREETING was not set/,
    );
    succeeded(await admin('unset-env', 'app-a', 'LEVEL'));
    assert.match(succeeded(await admin('env', 'app-a')), /No user-provided env variables have been set/);
    failedWith(await admin('set-env', 'app-a', 'NOT-A-NAME', 'x'), /"NOT-A-NAME" is not a variable name/);
    failedWith(await admin('set-env', 'app-a', 'VCAP_SERVICES', '{}'), /set by the platform/);
  });

  test('delete removes an app, and deleting it again is not an error', async () => {
    succeeded(await admin('target', '-s', 's2'));
    assert.match(succeeded(await admin('delete', 'app-c', '-f')), /Deleting app app-c in org o1 \/ space s2/);
    assert.equal(hasRow(succeeded(await admin('apps')), 'app-c'), false);
    assert.match(succeeded(await admin('delete', 'app-c', '-f')), /App 'app-c' does not exist/);
    failedWith(await admin('delete', 'app-b'), /Pass -f/);
  });

  test('delete-route unmaps the route from every app and removes it', async () => {
    succeeded(await admin('target', '-s', 's1'));
    assert.equal(row(succeeded(await admin('routes')), 'alias')[2], 'app-b');
    failedWith(await admin('delete-route', 'apps.internal', '--hostname', 'alias'), /Pass -f/);
    assert.match(
      succeeded(await admin('delete-route', 'apps.internal', '--hostname', 'alias', '-f')),
      /Deleting route alias\.apps\.internal as admin\.\.\.\nOK/,
    );
    assert.equal(hasRow(succeeded(await admin('routes')), 'alias'), false);
    assert.match(succeeded(await admin('app', 'app-b')), /routes:\s+app-b\.apps\.internal\n/);
    assert.match(
      succeeded(await admin('delete-route', 'apps.internal', '--hostname', 'alias', '-f')),
      /Route 'alias\.apps\.internal' does not exist/,
    );
  });

  test('delete-shared-domain deletes the domain with its routes', async () => {
    succeeded(await admin('map-route', 'app-b', 'corp.internal', '--hostname', 'svc'));
    assert.equal(row(succeeded(await admin('routes')), 'svc')[1], 'corp.internal');
    failedWith(await admin('delete-shared-domain', 'corp.internal'), /Pass -f/);
    assert.match(
      succeeded(await admin('delete-shared-domain', 'corp.internal', '-f')),
      /Deleting domain corp\.internal as admin\.\.\.\nOK/,
    );
    assert.equal(hasRow(succeeded(await admin('domains')), 'corp.internal'), false);
    assert.equal(hasRow(succeeded(await admin('routes')), 'svc'), false);
    assert.match(
      succeeded(await admin('delete-shared-domain', 'corp.internal', '-f')),
      /Domain 'corp\.internal' does not exist/,
    );
  });

  test('delete-space and delete-org take what is in them and untarget what they deleted', async () => {
    failedWith(await admin('delete-space', 's1'), /Pass -f/);
    const out = succeeded(await admin('delete-space', 's1', '-f'));
    assert.match(out, /Deleting space s1 in org o1 as admin\.\.\.\n/);
    assert.match(out, /No space targeted/);
    assert.equal(hasRow(succeeded(await admin('spaces')), 's1'), false);
    failedWith(await admin('apps'), /No space targeted/);
    assert.match(succeeded(await admin('delete-space', 's1', '-f')), /Space 's1' does not exist/);

    succeeded(await admin('create-org', 'o9'));
    assert.match(succeeded(await admin('delete-org', 'o1', '-f')), /Deleting org o1 as admin\.\.\.\nOK/);
    assert.deepEqual(
      succeeded(await admin('orgs'))
        .split('\n')
        .filter((l) => /^o\d/.test(l)),
      ['o9'],
    );
    assert.match(succeeded(await admin('target')), /org:\s*\nspace:\s*\n/);
    assert.match(succeeded(await admin('delete-org', 'o1', '-f')), /Org 'o1' does not exist/);
  });
});

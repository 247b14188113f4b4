// Network policies as a user types them from Cloud Foundry's documentation, and as the cf CLI's own
// integration tests (cloudfoundry/cli, integration/v7/isolated/*network_polic*) expect them to answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { curl } from '../../helpers/curl.js';
import { failedWith, startServer, succeeded, tempDir, weft, type CliResult, type Server } from './harness.js';

let server: Server;
let work: string;

const admin = (...args: string[]) => weft(args, { config: path.join(work, 'admin.json'), home: server.home });

/** A usage error as cf gives one: exit 1, the cf CLI's words on stderr, nothing done. */
function usage(r: CliResult, words: string): void {
  assert.equal(r.code, 1, `expected a usage error, got:\n${r.stdout}\n${r.stderr}`);
  assert.ok(r.stderr.includes(`Incorrect Usage: ${words}`), r.stderr);
  assert.doesNotMatch(r.stdout, /^OK$/m);
}

/** The rows of `network-policies`, each as its cells joined by one space. */
function policyRows(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => /^(front|back)\s/.test(l))
    .map((l) => l.split(/\s{2,}/).join(' '))
    .sort();
}

before(async () => {
  server = await startServer();
  work = tempDir('weft-cli-cf-');
  succeeded(await admin('login', '-a', server.url));
  succeeded(await admin('create-org', 'o1'));
  succeeded(await admin('create-space', 's1', '-o', 'o1'));
  succeeded(await admin('create-space', 's2', '-o', 'o1'));
  succeeded(await admin('target', '-o', 'o1', '-s', 's2'));
  succeeded(await admin('push', 'back', '-c', './back', '-p', work));
  succeeded(await admin('target', '-o', 'o1', '-s', 's1'));
  succeeded(await admin('push', 'front', '-c', './front', '-p', work));
});

after(async () => {
  await server?.stop();
  if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

describe("network policies, as cf's documentation types them", () => {
  test('add-network-policy without --protocol and --port allows tcp 8080', async () => {
    assert.match(
      succeeded(await admin('add-network-policy', 'front', 'front')),
      /^Adding network policy from app front to app front in org o1 \/ space s1 as admin\.\.\.\nOK\n/,
    );
    assert.deepEqual(policyRows(succeeded(await admin('network-policies'))), ['front front tcp 8080 s1 o1']);
  });

  test('add-network-policy takes --protocol and --port together, or not at all', async () => {
    usage(
      await admin('add-network-policy', 'front', 'front', '--port', '8081'),
      '--protocol and --port flags must be specified together',
    );
    usage(
      await admin('add-network-policy', 'front', 'front', '--protocol', 'udp'),
      '--protocol and --port flags must be specified together',
    );
    assert.deepEqual(policyRows(succeeded(await admin('network-policies'))), ['front front tcp 8080 s1 o1']);
    assert.match(
      succeeded(
        await admin(
          'add-network-policy',
          'front',
          'back',
          '-s',
          's2',
          '-o',
          'o1',
          '--protocol',
          'udp',
          '--port',
          '8080-8090',
        ),
      ),
      /^Adding network policy from app front in org o1 \/ space s1 to app back in org o1 \/ space s2 as admin\.\.\.\nOK/,
    );
  });

  test('an org needs a space, and flag values read as cf reads them', async () => {
    usage(
      await admin('add-network-policy', 'front', 'back', '-o', 'o1'),
      "A space must be provided when an org is provided, but the '-s' flag was not specified.",
    );
    usage(
      await admin('add-network-policy', 'front', 'back', '--protocol', 'tcp', '--port', 'http'),
      'PORT must be a positive integer',
    );
    usage(
      await admin('add-network-policy', 'front', 'back', '--protocol', 'tcp', '--port', '1-2-3'),
      'PORT syntax must match integer[-integer]',
    );
    usage(
      await admin('add-network-policy', 'front', 'back', '--protocol', 'icmp', '--port', '1'),
      'PROTOCOL must be "tcp" or "udp"',
    );
    usage(await admin('add-network-policy', 'front', 'back', '--bogus'), "unknown flag `bogus'");
    usage(await admin('add-network-policy'), 'the required argument `SOURCE_APP` was not provided');
  });

  test('remove-network-policy needs --protocol and --port: a slip of the keyboard removes nothing', async () => {
    usage(
      await admin('remove-network-policy', 'front', 'front'),
      "the required flags `--port' and `--protocol' were not specified",
    );
    usage(
      await admin('remove-network-policy', 'front', 'front', '--port', '8080'),
      "the required flag `--protocol' was not specified",
    );
    usage(
      await admin('remove-network-policy', 'front', 'front', '--protocol', 'tcp'),
      "the required flag `--port' was not specified",
    );
    assert.ok(policyRows(succeeded(await admin('network-policies'))).includes('front front tcp 8080 s1 o1'));
  });

  test('removing a policy that does not exist says so and succeeds; removing one that does removes it', async () => {
    assert.match(
      succeeded(
        await admin('remove-network-policy', 'front', 'front', '--protocol', 'udp', '--port', '8081'),
      ),
      /^Removing network policy from app front to app front in org o1 \/ space s1 as admin\.\.\.\nPolicy does not exist\.\nOK\n/,
    );
    const removed = succeeded(
      await admin('remove-network-policy', 'front', 'front', '--protocol', 'tcp', '--port', '8080'),
    );
    assert.doesNotMatch(removed, /Policy does not exist/);
    assert.deepEqual(policyRows(succeeded(await admin('network-policies'))), [
      'front back udp 8080-8090 s2 o1',
    ]);
  });

  test('an app that does not exist fails after the progress line, as in cf', async () => {
    const r = await admin(
      'remove-network-policy',
      'pineapple',
      'front',
      '--protocol',
      'tcp',
      '--port',
      '8080',
    );
    failedWith(r, /App 'pineapple' not found/);
    assert.match(
      r.stdout,
      /^Removing network policy from app pineapple to app front in org o1 \/ space s1 as admin\.\.\.\n/,
    );
    failedWith(await admin('add-network-policy', 'front', 'pineapple'), /App 'pineapple' not found/);
  });

  test('network-policies --source names the app it lists', async () => {
    const out = succeeded(await admin('network-policies', '--source', 'front'));
    assert.match(out, /^Listing network policies of app front in org o1 \/ space s1 as admin\.\.\.\n/);
    assert.deepEqual(policyRows(out), ['front back udp 8080-8090 s2 o1']);
    const r = await admin('network-policies', '--source', 'pineapple');
    failedWith(r, /App 'pineapple' not found/);
    assert.match(
      r.stdout,
      /^Listing network policies of app pineapple in org o1 \/ space s1 as admin\.\.\.\n/,
    );
  });

  test('app --guid prints only the GUID, which a script hands to the policy API', async () => {
    const front = succeeded(await admin('app', 'front', '--guid')).trim();
    assert.match(front, /^[0-9a-f-]{36}$/);
    succeeded(await admin('target', '-s', 's2'));
    const back = succeeded(await admin('app', 'back', '--guid')).trim();
    succeeded(await admin('target', '-s', 's1'));
    const token = fs.readFileSync(path.join(server.home, 'admin-token'), 'utf8').trim();
    const policy = {
      source: { id: front },
      destination: { id: back, protocol: 'tcp', ports: { start: 61443, end: 61443 } },
    };
    const reply = await curl(`${server.url}/networking/v1/external/policies`, {
      method: 'POST',
      token,
      data: JSON.stringify({ policies: [policy] }),
      cacert: server.caFile,
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.ok(policyRows(succeeded(await admin('network-policies'))).includes('front back tcp 61443 s2 o1'));
    failedWith(await admin('app', 'pineapple', '--guid'), /App 'pineapple' not found/);
  });
});

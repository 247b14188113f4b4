// Root only: the test process plays the cell, moves into its own cgroup, and nft recognises its sockets there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { enterCellCgroup, v2CgroupPath } from '../../../src/runtime/cell-cgroup.js';

const execFileAsync = promisify(execFile);
const table = `weft_cg_${process.pid}`;

async function nft(script: string): Promise<string> {
  const pending = execFileAsync('nft', ['-f', '-']);
  pending.child.stdin?.end(script);
  return (await pending).stdout;
}

async function ownCgroup(): Promise<string> {
  return v2CgroupPath(await readFile('/proc/self/cgroup', 'utf8'));
}

test('the cell moves into a cgroup of its own that nft matches its sockets by, and leaves no trace', async () => {
  const before = await ownCgroup();
  const server = createServer((s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const cgroup = await enterCellCgroup(table);
  try {
    assert.equal(await ownCgroup(), `${before === '/' ? '' : before}/${cgroup.path.split('/').at(-1)}`);
    await nft(`table inet ${table} {
      chain output {
        type filter hook output priority 0; policy accept;
        ip daddr 127.0.0.1 tcp dport ${port} tcp flags syn socket cgroupv2 level ${cgroup.level} "${cgroup.path}" counter
      }
    }\n`);
    await new Promise<void>((resolve, reject) =>
      connect(port, '127.0.0.1').once('connect', resolve).once('error', reject),
    );
    const listed = (await execFileAsync('nft', ['list', 'chain', 'inet', table, 'output'])).stdout;
    assert.match(listed, /counter packets 1 /);
  } finally {
    await nft(`table inet ${table} {}\ndelete table inet ${table}\n`);
    await cgroup.leave();
    server.close();
  }
  assert.equal(await ownCgroup(), before);
  assert.equal(existsSync(cgroup.dir), false);
});

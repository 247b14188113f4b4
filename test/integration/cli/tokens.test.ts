// Tokens with the real CLI: create one bound to a cell or with an expiry, list them without secrets,
// revoke one and see it refused at once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { failedWith, startServer, succeeded, tempDir, weft, type Server } from './harness.js';

let server: Server;
let work: string;

const admin = (...args: string[]) => weft(args, { config: path.join(work, 'admin.json'), home: server.home });
const tokenIn = (out: string) => /token:\s+(weft_\S+)/.exec(out)?.[1] ?? assert.fail(out);

before(async () => {
  server = await startServer();
  work = tempDir('weft-cli-tokens-');
  succeeded(await admin('login', '-a', server.url));
  succeeded(await admin('create-org', 'o1'));
  succeeded(await admin('create-space', 's1', '-o', 'o1'));
  succeeded(await admin('target', '-o', 'o1', '-s', 's1'));
});

after(async () => {
  await server?.stop();
  if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

describe('tokens with the weft CLI', () => {
  test('create-token binds a cell token to its cell and gives another an expiry', async () => {
    const cell = succeeded(await admin('create-token', 'cell-1', '--role', 'cell', '--cell', 'cell-1'));
    assert.match(cell, /expires:\s+never/);
    tokenIn(cell);
    const brief = succeeded(
      await admin('create-token', 'ci', '--role', 'space_developer', '-s', 's1', '--expires', '12h'),
    );
    const expires = /expires:\s+(\S+)/.exec(brief)?.[1] ?? '';
    const hours = (Date.parse(expires) - Date.now()) / 3_600_000;
    assert.ok(hours > 11 && hours <= 12, `expires ${expires}`);
    failedWith(await admin('create-token', 'c2', '--role', 'cell'), /--cell/);
    failedWith(await admin('create-token', 'c3', '--role', 'admin', '--expires', 'soon'), /duration/);
  });

  test('tokens lists name, role, binding and expiry, and never a secret', async () => {
    const made = tokenIn(
      succeeded(await admin('create-token', 'listed', '--role', 'space_developer', '-s', 's1')),
    );
    const out = succeeded(await admin('tokens'));
    const line = out.split('\n').find((l) => l.startsWith('listed ')) ?? assert.fail(out);
    assert.match(line, /^listed\s+space_developer\s+space \S+\s+\S+\s+never$/);
    assert.match(out, /\ncell-1\s+cell\s+cell cell-1\s/);
    assert.ok(!out.includes(made));
    assert.doesNotMatch(out, /weft_/);
  });

  test('revoke-token refuses the token at once; revoking it again is not a failure', async () => {
    const token = tokenIn(
      succeeded(await admin('create-token', 'gone', '--role', 'space_developer', '-s', 's1')),
    );
    const dev = (...args: string[]) => weft(args, { config: path.join(work, 'dev.json') });
    succeeded(await dev('login', '-a', server.url, '--ca-cert', server.caFile, '--token', token));
    succeeded(await dev('apps'));
    assert.match(
      succeeded(await admin('revoke-token', 'gone', '-f')),
      /^Revoking token gone as admin\.\.\.\nOK/,
    );
    failedWith(await dev('apps'), /not valid/);
    assert.match(succeeded(await admin('revoke-token', 'gone', '-f')), /Token 'gone' does not exist\./);
  });
});

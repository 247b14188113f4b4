// The systemd units as `weft service install` writes them, checked by systemd's own tools: this host's PID 1
// is not systemd, so `systemd-analyze verify` (every directive known and valid, the launcher executable)
// and `systemd-analyze security --offline` stand in for starting them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { renderUnit } from '../../../src/service/units.js';
import { run } from '../../helpers/weft-host.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const WEFT = path.join(ROOT, 'bin/weft');

/** verify exits 0 on directives it ignores; what it says on stderr is the finding. */
async function verify(unitFile: string): Promise<void> {
  const r = await run('systemd-analyze', ['verify', unitFile]);
  assert.deepEqual({ code: r.code, stderr: r.stderr.trim() }, { code: 0, stderr: '' });
}

describe('the systemd units', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-units-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('weft service install cell writes a unit systemd accepts and a flags file only root reads', async () => {
    const envFile = path.join(dir, 'etc', 'cell.env');
    const r = await run(WEFT, [
      'service',
      'install',
      'cell',
      '--unit-dir',
      path.join(dir, 'units'),
      '--env',
      envFile,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const unitFile = path.join(dir, 'units', 'weft-cell.service');
    const unit = fs.readFileSync(unitFile, 'utf8');
    assert.match(unit, new RegExp(`^ExecStart=${fs.realpathSync(WEFT)} cell \\$WEFT_CELL_FLAGS$`, 'm'));
    assert.match(unit, new RegExp(`^EnvironmentFile=${envFile}$`, 'm'));
    await verify(unitFile);
    assert.equal(fs.statSync(envFile).mode & 0o777, 0o600);
  });

  test('installing again replaces the unit but keeps the operator’s flags', async () => {
    const envFile = path.join(dir, 'etc', 'cell.env');
    fs.writeFileSync(envFile, 'WEFT_CELL_FLAGS=--api https://mine:9080\n');
    const r = await run(WEFT, [
      'service',
      'install',
      'cell',
      '--unit-dir',
      path.join(dir, 'units'),
      '--env',
      envFile,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(envFile, 'utf8'), 'WEFT_CELL_FLAGS=--api https://mine:9080\n');
    assert.match(r.stdout, /kept /);
  });

  test('an unknown kind of service is refused and writes nothing', async () => {
    const units = path.join(dir, 'none');
    const r = await run(WEFT, [
      'service',
      'install',
      'proxy',
      '--unit-dir',
      units,
      '--env',
      path.join(dir, 'x.env'),
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /expected server or cell/);
    assert.equal(fs.existsSync(units), false);
  });

  // Rendered, not installed: installing the server also creates its system user on this host.
  test('the server unit is valid and exposes little: an unprivileged user without capabilities', async () => {
    const template = fs.readFileSync(path.join(ROOT, 'systemd', 'weft-server.service'), 'utf8');
    const unitFile = path.join(dir, 'weft-server.service');
    fs.writeFileSync(unitFile, renderUnit(template, { weft: WEFT, envFile: '/etc/weft/server.env' }));
    await verify(unitFile);
    // systemd's own score, 0 (locked down) to 10 (exposed); the command fails above the threshold (in
    // tenths: 1.5).
    const r = await run('systemd-analyze', ['security', '--offline=yes', '--threshold=15', unitFile]);
    assert.equal(r.code, 0, r.stdout.split('\n').slice(-3).join('\n'));
  });
});

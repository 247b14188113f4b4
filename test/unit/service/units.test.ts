import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderUnit } from '../../../src/service/units.js';

const TEMPLATE = 'EnvironmentFile=@ENV_FILE@\nExecStart=@WEFT@ cell $WEFT_CELL_FLAGS\n';

test('a unit names the installed launcher and the flags file', () => {
  assert.equal(
    renderUnit(TEMPLATE, { weft: '/opt/weft/bin/weft', envFile: '/etc/weft/cell.env' }),
    'EnvironmentFile=/etc/weft/cell.env\nExecStart=/opt/weft/bin/weft cell $WEFT_CELL_FLAGS\n',
  );
});

test('a path systemd would split or expand is refused rather than written into ExecStart', () => {
  for (const weft of ['/opt/my weft/bin/weft', '/opt/%h/weft', '/opt/$X/weft', 'bin/weft', '/opt/"w"/weft']) {
    assert.throws(
      () => renderUnit(TEMPLATE, { weft, envFile: '/etc/weft/cell.env' }),
      /absolute path without/,
    );
  }
  assert.throws(
    () => renderUnit(TEMPLATE, { weft: '/opt/weft/bin/weft', envFile: '/etc/weft/cell env' }),
    /envFile/,
  );
});

test('a template with a placeholder nobody fills is refused', () => {
  assert.throws(
    () => renderUnit(`${TEMPLATE}User=@USER@\n`, { weft: '/w', envFile: '/e' }),
    /placeholder nobody fills: @USER@/,
  );
});

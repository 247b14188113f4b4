import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseLogFormat, textLine, type LogSink } from '../../../src/log/format.js';

const terminal: LogSink = { journalStream: undefined, stderr: { dev: 5, ino: 9 }, stderrIsTty: true };
const pipe: LogSink = { ...terminal, stderrIsTty: false };

test('a terminal gets readable lines and a pipe JSON lines', () => {
  assert.equal(chooseLogFormat(undefined, terminal), 'text');
  assert.equal(chooseLogFormat(undefined, pipe), 'json');
});

test('under systemd, whose journal stream is stderr, the logs are JSON even on a terminal-like stream', () => {
  assert.equal(chooseLogFormat(undefined, { ...terminal, journalStream: '5:9' }), 'json');
});

test('a JOURNAL_STREAM inherited from a service by a command on a terminal does not switch to JSON', () => {
  assert.equal(chooseLogFormat(undefined, { ...terminal, journalStream: '5:10' }), 'text');
});

test('WEFT_LOG_FORMAT overrides the guess, and a wrong value is refused rather than ignored', () => {
  assert.equal(chooseLogFormat('json', terminal), 'json');
  assert.equal(chooseLogFormat('text', { ...pipe, journalStream: '5:9' }), 'text');
  assert.equal(chooseLogFormat('', pipe), 'json');
  assert.throws(() => chooseLogFormat('pretty', terminal), /WEFT_LOG_FORMAT=pretty: expected json or text/);
});

test('a record reads as time, level, logger and message, then its fields', () => {
  const time = new Date(2026, 0, 2, 3, 4, 5, 6).getTime();
  const line = textLine(
    JSON.stringify({
      level: 30,
      time,
      pid: 1,
      hostname: 'h',
      name: 'weft-cell',
      msg: 'instance started',
      app: 'a b',
      port: 8080,
    }),
  );
  assert.equal(line, '03:04:05.006 INFO  weft-cell: instance started app="a b" port=8080\n');
});

test('an error record carries its stack on indented lines below', () => {
  const line = textLine(
    JSON.stringify({
      level: 50,
      time: 0,
      msg: 'failed',
      err: { message: 'boom', stack: 'Error: boom\n    at x' },
    }),
  );
  assert.match(line, /ERROR failed\n {4}Error: boom\n {8}at x\n$/);
});

test('a field cannot forge a line of its own: newlines in values stay escaped', () => {
  const line = textLine(
    JSON.stringify({ level: 30, time: 0, msg: 'm', path: 'x\n00:00:00.000 INFO  forged' }),
  );
  assert.equal(line.split('\n').length, 2);
});

test('a line that is not JSON passes through whole', () => {
  assert.equal(textLine('not json'), 'not json\n');
});

test('a message or value cannot end the line or send the terminal control sequences', () => {
  const line = textLine(
    JSON.stringify({ level: 30, time: 0, msg: 'm\nforged \u001b[2J', app: '\u001b[31mred', 'k\n\u001b': 1 }),
  );
  assert.equal(line.split('\n').length, 2);
  assert.ok(!line.includes('\u001b'), line);
});

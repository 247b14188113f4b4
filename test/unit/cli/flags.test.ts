import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatMemory,
  formatPortRange,
  parseInstances,
  parseMemory,
  parsePortRange,
  parseProtocol,
} from '../../../src/cli/commands/flags.js';

test('a single port is a range of one', () => {
  assert.deepEqual(parsePortRange('8080'), { start: 8080, end: 8080 });
});

test('a port range keeps both ends', () => {
  assert.deepEqual(parsePortRange('8080-8090'), { start: 8080, end: 8090 });
  assert.deepEqual(parsePortRange('1-65535'), { start: 1, end: 65535 });
});

test('ports outside 1..65535 are refused by number', () => {
  assert.throws(() => parsePortRange('70000'), /70000 is not a port between 1 and 65535/);
  assert.throws(() => parsePortRange('0'), /0 is not a port/);
  assert.throws(() => parsePortRange('8080-70000'), /70000 is not a port/);
});

test('a range that runs backwards is refused', () => {
  assert.throws(() => parsePortRange('9000-8000'), /start port 9000 is greater than the end port 8000/);
});

test('text that is not a port or a range is refused, in the cf CLI’s words first', () => {
  for (const bad of ['http', '80-', '-80', '80,81', '']) {
    assert.throws(
      () => parsePortRange(bad),
      { message: /^Incorrect Usage: PORT must be a positive integer; .*expected a port like 8080/ },
      bad,
    );
  }
  assert.throws(() => parsePortRange('8080-8090-9000'), {
    message: /^Incorrect Usage: PORT syntax must match integer\[-integer\]; /,
  });
});

test('port ranges print as cf prints them', () => {
  assert.equal(formatPortRange({ start: 8080, end: 8080 }), '8080');
  assert.equal(formatPortRange({ start: 8080, end: 8090 }), '8080-8090');
});

test('protocols are tcp or udp in any case', () => {
  assert.equal(parseProtocol('tcp'), 'tcp');
  assert.equal(parseProtocol('UDP'), 'udp');
  assert.throws(() => parseProtocol('icmp'), {
    message:
      /^Incorrect Usage: PROTOCOL must be "tcp" or "udp"; --protocol icmp: the protocol must be tcp or udp/,
  });
});

test('memory sizes take cf units and come out in megabytes', () => {
  assert.equal(parseMemory('256M'), 256);
  assert.equal(parseMemory('512MB'), 512);
  assert.equal(parseMemory('1G'), 1024);
  assert.equal(parseMemory('2gb'), 2048);
});

test('memory without a known unit is refused', () => {
  for (const bad of ['256', '1T', 'lots', '-1G', '0M']) {
    assert.throws(() => parseMemory(bad), /memory/, bad);
  }
});

test('memory prints in gigabytes when it divides evenly', () => {
  assert.equal(formatMemory(1024), '1G');
  assert.equal(formatMemory(1536), '1536M');
});

test('instances are whole numbers', () => {
  assert.equal(parseInstances('3'), 3);
  assert.equal(parseInstances('0'), 0);
  assert.throws(() => parseInstances('two'), /expected a whole number/);
  assert.throws(() => parseInstances('1.5'), /expected a whole number/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceConnections } from '../../../src/limits/source-connections.js';

test('a source is admitted up to its limit and refused beyond it', () => {
  const table = new SourceConnections({ perSource: 3, total: 100 });
  for (let i = 0; i < 3; i++) assert.equal(table.admit('10.0.0.2'), 'admitted');
  assert.equal(table.admit('10.0.0.2'), 'per_source_limit');
  assert.equal(table.total, 3);
});

test('one source at its limit does not stop another', () => {
  const table = new SourceConnections({ perSource: 2, total: 100 });
  table.admit('10.0.0.2');
  table.admit('10.0.0.2');
  assert.equal(table.admit('10.0.0.2'), 'per_source_limit');
  assert.equal(table.admit('10.0.0.3'), 'admitted');
});

test('the total is capped across all sources', () => {
  const table = new SourceConnections({ perSource: 10, total: 3 });
  for (const source of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) assert.equal(table.admit(source), 'admitted');
  assert.equal(table.admit('10.0.0.5'), 'global_limit');
  assert.equal(table.admit('10.0.0.2'), 'global_limit');
});

test('a source over its own limit is refused for that reason even when the total is full too', () => {
  const table = new SourceConnections({ perSource: 2, total: 2 });
  table.admit('10.0.0.2');
  table.admit('10.0.0.2');
  assert.equal(table.admit('10.0.0.2'), 'per_source_limit');
});

test('a released connection frees its slot for the same source', () => {
  const table = new SourceConnections({ perSource: 1, total: 100 });
  table.admit('10.0.0.2');
  table.release('10.0.0.2');
  assert.equal(table.admit('10.0.0.2'), 'admitted');
});

test('a refused connection takes no slot', () => {
  const table = new SourceConnections({ perSource: 1, total: 100 });
  table.admit('10.0.0.2');
  table.admit('10.0.0.2');
  table.release('10.0.0.2');
  assert.equal(table.total, 0);
});

test('sources whose connections all closed leave the table', () => {
  const table = new SourceConnections({ perSource: 5, total: 100 });
  for (let i = 0; i < 50; i++) table.admit(`10.0.1.${i}`);
  assert.equal(table.sources, 50);
  for (let i = 0; i < 50; i++) table.release(`10.0.1.${i}`);
  assert.equal(table.sources, 0);
  assert.equal(table.total, 0);
});

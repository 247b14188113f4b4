// The tree's layout is its architecture: the import graph of src/ has no cycle, and the client side
// (the CLI and the cell) reaches the control plane only through the wire contract, never by importing
// the API server or the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(import.meta.dirname, '../../../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every relative import of a file, static or dynamic, type-only or not, as paths under src/. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1] ?? '');
  return specifiers.map((s) =>
    path.relative(SRC, path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts'))),
  );
}

const graph = new Map(sourceFiles(SRC).map((f) => [path.relative(SRC, f), importsOf(f)]));

test('every relative import names a file that exists', () => {
  const missing = [...graph].flatMap(([file, deps]) =>
    deps.filter((d) => !graph.has(d)).map((d) => `${file} → ${d}`),
  );
  assert.deepEqual(missing, []);
});

test('the import graph of src/ has no cycle', () => {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].join(' → '));
      return;
    }
    state.set(file, 'visiting');
    for (const dep of graph.get(file) ?? []) visit(dep, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test('neither the CLI nor the cell imports the API server or the store', () => {
  const crossing = [...graph].flatMap(([file, deps]) =>
    /^(cli|cell)\//.test(file)
      ? deps.filter((d) => /^(api|store)\//.test(d)).map((d) => `${file} → ${d}`)
      : [],
  );
  assert.deepEqual(crossing, []);
});

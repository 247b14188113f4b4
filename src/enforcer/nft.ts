// Thin adapter over the nft binary: scripts go in through stdin as one transaction, state comes back as JSON.
import { run } from '../host/run.js';
import type { EnforcerElements } from './elements.js';
import type { LiveTable } from './drift.js';
import { parseTableElements, rulesFingerprint } from './readback.js';

/** Applies an `nft -f` script atomically: all of it or, on error, none of it. */
export async function applyNftScript(script: string): Promise<void> {
  await run(['nft', '-f', '-'], script);
}

export async function deleteNftTable(table: string): Promise<void> {
  // Declaring the table first makes the delete succeed whether or not it exists.
  await applyNftScript(`table inet ${table} {}\ndelete table inet ${table}\n`);
}

export async function listNftElements(table: string): Promise<EnforcerElements> {
  const json: unknown = JSON.parse(await run(['nft', '-j', 'list', 'table', 'inet', table]));
  return parseTableElements(json);
}

/** Everything the table holds, or null when it is gone. */
export async function readLiveTable(table: string): Promise<LiveTable | null> {
  const text = await run(['nft', '-j', 'list', 'table', 'inet', table]).catch(() => null);
  if (text === null) return null;
  const json: unknown = JSON.parse(text);
  return { elements: parseTableElements(json), rules: rulesFingerprint(json) };
}

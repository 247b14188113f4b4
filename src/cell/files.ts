// The cell's own files: the world it last saw (to start without the control plane) and each instance's
// state (to adopt its container after a restart, and for `weft ssh`). One writer and one checked reader
// each: a file that is missing, torn or not of the expected shape reads as absent, never as a cast.
import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { Cell, Env } from '../contract/resources.js';
import { Snapshot } from '../contract/stream.js';
import { parsed } from '../contract/check.js';
import type { LocalInstance } from './local.js';

const SavedWorld = Type.Object({ cell: Cell, caPem: Type.String(), snapshot: Snapshot });
export type SavedWorld = Static<typeof SavedWorld> & { snapshot: Snapshot };

const InstanceFile = Type.Object({
  guid: Type.String(),
  appGuid: Type.String(),
  index: Type.Integer({ minimum: 0 }),
  ip: Type.String({ format: 'ipv4' }),
  hostIface: Type.String(),
  netns: Type.String(),
  uid: Type.Integer({ minimum: 0 }),
  proxyPorts: Type.Array(
    Type.Object({ port: Type.Integer(), proxyPort: Type.Integer(), backendPort: Type.Integer() }),
  ),
  /** The container's init process, while it runs. */
  pid: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  /** The environment the app was started with, so `weft ssh` sees what the app sees. */
  env: Env,
});
export type InstanceFile = Static<typeof InstanceFile>;

/** Written whole or not at all: a crash mid-write leaves the previous file. */
async function writeAtomically(file: string, value: unknown): Promise<void> {
  await fs.writeFile(`${file}.tmp`, JSON.stringify(value), { mode: 0o600 });
  await fs.rename(`${file}.tmp`, file);
}

/** Typed on the way out; checked on the way back in, where a torn or foreign file may appear. */
export function writeSavedWorld(file: string, saved: SavedWorld): Promise<void> {
  return writeAtomically(file, saved);
}

export async function readSavedWorld(file: string): Promise<SavedWorld | null> {
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return parsed(SavedWorld, text, file) as SavedWorld;
  } catch {
    return null;
  }
}

export function writeInstanceFile(file: string, local: LocalInstance, pid: number | null, env: Env) {
  const state: InstanceFile = { ...local, pid, env };
  return writeAtomically(file, state);
}

export async function readInstanceFile(file: string): Promise<InstanceFile | null> {
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  return text === null ? null : fromText(text, file);
}

/** For `weft ssh`, which reads one file once and exits. */
export function readInstanceFileSync(file: string): InstanceFile | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  return fromText(text, file);
}

function fromText(text: string, file: string): InstanceFile | null {
  try {
    return parsed(InstanceFile, text, file);
  } catch {
    return null;
  }
}

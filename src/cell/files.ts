// The cell's own files: the world it last saw (to start without the control plane) and each instance's
// state (to adopt its container after a restart, and for `weft ssh`). One writer and one checked reader
// each: a file that is missing, torn or not of the expected shape reads as absent, never as a cast.
import fs from 'node:fs/promises';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Cell, Env } from '../contract/resources.js';
import { Snapshot } from '../contract/stream.js';
import { parsed } from '../contract/check.js';
import type { LocalInstance } from './local.js';
import type { CellPaths } from './paths.js';

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

/** The one way the cell reads its files back: a file that is missing, torn or of another shape is null. */
function fromText<T extends TSchema>(schema: T, text: string | null, file: string): Static<T> | null {
  if (text === null) return null;
  try {
    return parsed(schema, text, file);
  } catch {
    return null;
  }
}

async function readChecked<T extends TSchema>(schema: T, file: string): Promise<Static<T> | null> {
  return fromText(schema, await fs.readFile(file, 'utf8').catch(() => null), file);
}

/** The owner of everything the cell keeps under its root; nothing else reads or writes these files. */
export class CellFiles {
  constructor(readonly paths: CellPaths) {}

  async readWorld(): Promise<SavedWorld | null> {
    return (await readChecked(SavedWorld, this.paths.lastWorld)) as SavedWorld | null;
  }

  /** Typed on the way out; checked on the way back in, where a torn or foreign file may appear. */
  async saveWorld(saved: SavedWorld): Promise<void> {
    await fs.mkdir(this.paths.root, { recursive: true, mode: 0o700 });
    await writeAtomically(this.paths.lastWorld, saved);
  }

  readInstance(guid: string): Promise<InstanceFile | null> {
    return readChecked(InstanceFile, this.paths.instanceState(guid));
  }

  async writeInstance(local: LocalInstance, pid: number | null, env: Env): Promise<void> {
    const state: InstanceFile = { ...local, pid, env };
    await fs.mkdir(this.paths.instanceDir(local.guid), { recursive: true, mode: 0o700 });
    await writeAtomically(this.paths.instanceState(local.guid), state);
  }

  /** Instances a cell process left state for: the candidates for adoption after a restart. */
  async instanceGuids(): Promise<string[]> {
    return fs.readdir(this.paths.instancesDir).catch(() => []);
  }

  async removeInstance(guid: string): Promise<void> {
    await fs.rm(this.paths.instanceDir(guid), { recursive: true, force: true });
  }
}

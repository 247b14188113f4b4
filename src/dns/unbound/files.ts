// Where a cell's unbound keeps its files: root's alone, in the cell's state directory.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface UnboundFiles {
  dir: string;
  config: string;
  controlSocket: string;
}

/** `dir` emptied of what an earlier process left, and made again for root only. */
export async function prepareDirectory(dir: string): Promise<UnboundFiles> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return { dir, config: join(dir, 'unbound.conf'), controlSocket: join(dir, 'control.sock') };
}

export function writeConfig(files: UnboundFiles, text: string): Promise<void> {
  return writeFile(files.config, text, { mode: 0o600 });
}

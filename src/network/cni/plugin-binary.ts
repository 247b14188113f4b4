// The weft-cni plugin is a small C program (weft-cni.c beside this file), compiled on first use
// (src/host/compiled-program.ts). Root's cache, as the stack's: the plugin runs as root under every runtime.
import path from 'node:path';
import { compiledProgram } from '../../host/compiled-program.js';
import { run } from '../../host/run.js';

export const PLUGIN_SOURCE = path.join(import.meta.dirname, 'weft-cni.c');
export const PLUGIN_CACHE_ENV = 'WEFT_CNI_CACHE';
const DEFAULT_CACHE = '/var/cache/weft/cni';

/** The plugin's path, compiled now if this source never was. */
export function cniPlugin(): Promise<string> {
  return compiledProgram(
    { name: 'weft-cni', source: PLUGIN_SOURCE, cacheDir: process.env[PLUGIN_CACHE_ENV] ?? DEFAULT_CACHE },
    run,
  );
}

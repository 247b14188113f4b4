// The console's built files, read once when the server starts. Requests are answered only from this
// fixed map of names, so no part of a request path ever reaches the file system.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build` puts the console's bundle (dist/web), from this file's place in the tree: the same
 * directory whether weft runs from src/console or from the compiled dist/console.
 */
export const BUILT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
};

export interface ConsoleFile {
  type: string;
  body: Buffer;
}

/** The served files by name (`index.html`, `app.js`…), or null when the console was not built. */
export function readConsoleFiles(dir: string): Map<string, ConsoleFile> | null {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return null;
  }
  const files = new Map<string, ConsoleFile>();
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    const full = path.join(dir, name);
    if (type === undefined || !fs.statSync(full).isFile()) continue;
    files.set(name, { type, body: fs.readFileSync(full) });
  }
  return files.has('index.html') ? files : null;
}

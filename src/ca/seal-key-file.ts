// Reads the operator's seal key, refusing a file others may read: whoever reads it can open the CA key.
import fs from 'node:fs';
import { parseSealKey, SealError } from './seal.js';

export function readSealKeyFile(file: string, flag: string): Buffer {
  let stat: fs.Stats;
  let text: string;
  try {
    stat = fs.statSync(file);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${flag} ${file}: ${(err as Error).message}`);
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new Error(`${flag} ${file}: group or others may read it; chmod 600 it`);
  }
  if (process.getuid !== undefined && stat.uid !== process.getuid()) {
    throw new Error(`${flag} ${file}: owned by uid ${stat.uid}, not by the user weft runs as`);
  }
  try {
    return parseSealKey(text);
  } catch (err) {
    if (err instanceof SealError) throw new Error(`${flag} ${file}: ${err.message}`);
    throw err;
  }
}

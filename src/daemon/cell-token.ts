// Where a standalone cell finds its token: a private file or the environment, never its command line,
// which every local user reads in `ps`.
import fs from 'node:fs';

export const TOKEN_ENV = 'WEFT_TOKEN';

/** Reads the token from --token-file (refused if others may read it, as ssh refuses such keys) or WEFT_TOKEN. */
export function readCellToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv): string {
  if (tokenFile !== undefined) return readTokenFile(tokenFile);
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv === undefined || fromEnv === '') {
    throw new Error(`no token: pass --token-file FILE (mode 0600) or set ${TOKEN_ENV}`);
  }
  return fromEnv;
}

function readTokenFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new Error(`--token-file ${file}: ${(err as Error).message}`);
  }
  if (!stat.isFile()) throw new Error(`--token-file ${file}: not a file`);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new Error(
      `--token-file ${file} is readable by others (mode ${mode}); a token must be private: chmod 600 ${file}`,
    );
  }
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token === '') throw new Error(`--token-file ${file} is empty`);
  return token;
}

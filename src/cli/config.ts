// The CLI's own state, like ~/.cf/config.json: which API, which token, which org and space.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where `weft server` and `weft up` listen unless told otherwise. */
export const DEFAULT_API_URL = 'https://127.0.0.1:9080';

export interface Named {
  name: string;
  guid: string;
}

export interface CliConfig {
  api?: string;
  /** The platform CA (PEM) the API's certificate must chain to; pinned by `weft api` or `weft login`. */
  caCert?: string;
  token?: string;
  user?: string;
  role?: string;
  org?: Named;
  space?: Named;
}

function configPath(): string {
  const fromEnv = process.env.WEFT_CLI_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  return path.join(os.homedir(), '.weft', 'cli.json');
}

export function loadConfig(): CliConfig {
  const file = configPath();
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read the CLI config ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not a JSON object');
    return parsed;
  } catch (err) {
    throw new Error(
      `the CLI config ${file} is damaged (${(err as Error).message}); delete it and log in again`,
    );
  }
}

/** Written 0600: the file holds a bearer token. */
export function saveConfig(config: CliConfig): void {
  const file = configPath();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

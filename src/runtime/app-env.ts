// The app's environment: names are checked before they reach a container's config, and PATH has a default.
import { isEnvName } from '../model/env.js';

export const DEFAULT_APP_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Quotes a word for sh so that it stays one word whatever it holds. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function assertEnvNames(env: Record<string, string>): void {
  for (const key of Object.keys(env)) {
    if (!isEnvName(key)) throw new Error(`bad environment variable name ${JSON.stringify(key)}`);
  }
}

/** The OCI form of an environment: KEY=VALUE strings, PATH first unless the app sets its own. */
export function envList(env: Record<string, string>): string[] {
  assertEnvNames(env);
  return Object.entries({ PATH: DEFAULT_APP_PATH, ...env }).map(([k, v]) => `${k}=${v}`);
}

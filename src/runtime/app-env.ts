// The app's environment reaches it as shell code in one variable, evaluated only after privileges are
// dropped: variables such as LD_PRELOAD or LD_LIBRARY_PATH, which an app's manifest may set, must never
// be in the environment of the root tools (nsenter, unshare, mount, setpriv) that build the container.

import { isEnvName } from '../model/env.js';

const APP_ENV_VAR = 'WEFT_APP_ENV';

export const DEFAULT_APP_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Quotes a word for sh so that it stays one word whatever it holds. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Names are checked by validateSpec / execInContainer before they get here. */
function appEnvExports(env: Record<string, string>): string {
  return Object.entries({ PATH: DEFAULT_APP_PATH, ...env })
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join('\n');
}

export function assertEnvNames(env: Record<string, string>): void {
  for (const key of Object.keys(env)) {
    if (!isEnvName(key) || key === APP_ENV_VAR) {
      throw new Error(`bad environment variable name ${JSON.stringify(key)}`);
    }
  }
}

/** The environment of every root process of a container: the system PATH and the app's, still encoded. */
export function rootProcessEnv(env: Record<string, string>): Record<string, string> {
  assertEnvNames(env);
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    [APP_ENV_VAR]: appEnvExports(env),
  };
}

/** Run as the app user in front of a command: applies the app's environment, then execs the command. */
export const WITH_APP_ENV = [
  '/bin/sh',
  '-c',
  `eval "$${APP_ENV_VAR}" && unset ${APP_ENV_VAR} && exec "$@"`,
  'weft-app',
];

// What `weft --version` says: the package's version, and the commit a build was made from. The build
// (scripts/build) writes both into dist/build-info.json beside the compiled main.js; running from source
// there is no such file and the version comes from package.json, with no git call at run time.
import { readFileSync } from 'node:fs';

export interface BuildInfo {
  version: string;
  commit: string | null;
  built: string | null;
}

/** The build's stamp when this code was compiled, else the package's version alone. */
export function buildInfo(): BuildInfo {
  const stamp = readJson(new URL('../build-info.json', import.meta.url));
  if (stamp !== null) return parseBuildInfo(stamp);
  // src/ and dist/ both sit next to package.json.
  const pkg = readJson(new URL('../../package.json', import.meta.url));
  return { version: versionOf(pkg), commit: null, built: null };
}

export function parseBuildInfo(value: unknown): BuildInfo {
  const v = (value ?? {}) as Record<string, unknown>;
  return {
    version: versionOf(value),
    commit: typeof v.commit === 'string' && v.commit !== '' ? v.commit : null,
    built: typeof v.built === 'string' ? v.built : null,
  };
}

export function versionLine(info: BuildInfo): string {
  if (info.built === null) return `weft ${info.version} (from source)`;
  const commit = info.commit === null ? 'commit unknown' : `commit ${info.commit}`;
  return `weft ${info.version} (${commit}, built ${info.built})`;
}

function versionOf(value: unknown): string {
  const version = (value as { version?: unknown } | null)?.version;
  return typeof version === 'string' && version !== '' ? version : 'unknown';
}

function readJson(url: URL): unknown {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

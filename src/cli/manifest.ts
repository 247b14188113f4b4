// Cloud Foundry's manifest.yml, its common fields: name, command, path, instances, memory, env, routes.
import path from 'node:path';
import { parse } from 'yaml';
import { parseInstances, parseMemory } from './commands/flags.js';

export interface ManifestApp {
  name: string;
  command?: string;
  /** Absolute: a manifest's paths are relative to the manifest's own directory. */
  path: string;
  instances?: number;
  memoryMb?: number;
  env?: Record<string, string>;
  /** "host.domain" for each route to map after the push. */
  routes?: string[];
}

type Fields = Record<string, unknown>;

export function parseManifest(text: string, manifestDir: string): ManifestApp[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`manifest: not valid YAML (${(err as Error).message})`);
  }
  const apps = isObject(doc) ? doc.applications : undefined;
  if (!Array.isArray(apps) || apps.length === 0)
    throw new Error('manifest: expected an "applications:" list');
  return apps.map((entry: unknown, i) => parseApp(entry, `applications[${i}]`, manifestDir));
}

function parseApp(entry: unknown, where: string, manifestDir: string): ManifestApp {
  if (!isObject(entry)) throw new Error(`manifest ${where}: expected a mapping with at least a name`);
  const name = entry.name;
  if (typeof name !== 'string' || name === '') throw new Error(`manifest ${where}.name: is required`);
  const app: ManifestApp = {
    name,
    path: path.resolve(manifestDir, optionalString(entry, 'path', where) ?? '.'),
  };
  const command = optionalString(entry, 'command', where);
  if (command !== undefined) app.command = command;
  if (entry.instances !== undefined)
    app.instances = withWhere(where, () => parseInstances(String(entry.instances)));
  if (entry.memory !== undefined) app.memoryMb = withWhere(where, () => parseMemory(String(entry.memory)));
  if (entry.env !== undefined) app.env = parseEnv(entry.env, where);
  if (entry.routes !== undefined) app.routes = parseRoutes(entry.routes, where);
  return app;
}

function optionalString(entry: Fields, key: string, where: string): string | undefined {
  const value = entry[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`manifest ${where}.${key}: expected a string`);
  return value;
}

/** Numbers and booleans are written as text, as Cloud Foundry does. */
function parseEnv(env: unknown, where: string): Record<string, string> {
  if (!isObject(env)) throw new Error(`manifest ${where}.env: expected a mapping of names to values`);
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => {
      if (v === null) return [k, ''];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [k, String(v)];
      throw new Error(`manifest ${where}.env.${k}: expected a plain value`);
    }),
  );
}

function parseRoutes(routes: unknown, where: string): string[] {
  if (!Array.isArray(routes))
    throw new Error(`manifest ${where}.routes: expected a list of {route: HOST.DOMAIN}`);
  return routes.map((r: unknown, i) => {
    const route = isObject(r) ? r.route : undefined;
    if (typeof route !== 'string' || !route.includes('.')) {
      throw new Error(`manifest ${where}.routes[${i}]: expected {route: HOST.DOMAIN}`);
    }
    return route;
  });
}

function withWhere<T>(where: string, parseValue: () => T): T {
  try {
    return parseValue();
  } catch (err) {
    throw new Error(`manifest ${where}.${(err as Error).message}`);
  }
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

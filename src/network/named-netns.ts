// The named network namespaces the cell makes for its own instances (/run/netns/NAME, as `ip netns` does);
// a runtime that brings its own namespace needs neither.
import { ignoreMissing } from './ignore-missing.js';
import { assertNetnsName } from './names.js';
import { run } from '../host/run.js';

export function namedNetnsPath(name: string): string {
  assertNetnsName(name);
  return `/run/netns/${name}`;
}

export async function addNamedNetns(name: string): Promise<string> {
  await run(['ip', 'netns', 'add', name]);
  return namedNetnsPath(name);
}

export async function deleteNamedNetns(name: string): Promise<void> {
  assertNetnsName(name);
  await ignoreMissing(run(['ip', 'netns', 'del', name]));
}

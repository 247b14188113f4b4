// The weftlinux-bookworm stack: what goes into the root filesystem every container starts from. The recipe
// names the build; a changed recipe is a new stack, built beside the old one.
import { createHash } from 'node:crypto';

export const STACK_NAME = 'weftlinux-bookworm';
export const SUITE = 'bookworm';

/** On top of mmdebstrap's minbase variant; util-linux gives `weft ssh` its pseudo-terminal (`script`). */
export const PACKAGES = [
  'ca-certificates',
  'curl',
  'dnsutils',
  'iproute2',
  'nodejs',
  'openssl',
  'python3',
  'util-linux',
];

/** Debian's archive, its updates and security updates, as apt source lines. */
export const SOURCES = [
  'deb http://deb.debian.org/debian bookworm main',
  'deb http://deb.debian.org/debian bookworm-updates main',
  'deb http://deb.debian.org/debian-security bookworm-security main',
];

/** Documentation and translations have no use in a container. */
export const DPKG_EXCLUDES = [
  '/usr/share/doc/*',
  '/usr/share/man/*',
  '/usr/share/info/*',
  '/usr/share/locale/*',
];

export function recipeHash(): string {
  const recipe = JSON.stringify({ SUITE, PACKAGES, SOURCES, DPKG_EXCLUDES, variant: 'minbase' });
  return createHash('sha256').update(recipe).digest('hex').slice(0, 8);
}

/** The stack's directory name in the stacks directory: one per recipe. */
export function stackDirName(): string {
  return `${STACK_NAME}-${recipeHash()}`;
}

/** Its version: the build date and the recipe, e.g. 2026.11.27-1a2b3c4d. */
export function stackVersion(builtAt: Date): string {
  const d = builtAt.toISOString().slice(0, 10).replaceAll('-', '.');
  return `${d}-${recipeHash()}`;
}

export function mmdebstrapArgs(target: string): string[] {
  return [
    '--variant=minbase',
    '--mode=root',
    '--format=directory',
    `--include=${PACKAGES.join(',')}`,
    ...DPKG_EXCLUDES.map((p) => `--dpkgopt=path-exclude=${p}`),
    SUITE,
    target,
    ...SOURCES,
  ];
}

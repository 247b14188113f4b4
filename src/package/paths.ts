// Paths inside a package: relative, '/'-separated, never leaving the package's root.
import path from 'node:path';

/**
 * A path from an archive as segments, or null if it is not one a package may hold: absolute, with a
 * '.' or '..' segment, empty segments, NUL or longer than `maxLength`. A leading "./" is accepted.
 */
export function packagePath(name: string, maxLength: number): string[] | null {
  if (name.length > maxLength || name.includes('\0') || name.startsWith('/')) return null;
  const trimmed = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') return [];
  const segments = trimmed.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  return segments;
}

/** True if a symlink at `relative` pointing to `target` would lead out of the package (or is absolute). */
export function escapesPackage(relative: string, target: string): boolean {
  if (target === '' || path.posix.isAbsolute(target) || target.includes('\0')) return true;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(relative), target));
  return resolved === '..' || resolved.startsWith('../');
}

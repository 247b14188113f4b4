// What `weft push` leaves out of a package: Cloud Foundry's default exclusions, then the app's own
// .cfignore and .weftignore (gitignore syntax, read from the top of the app directory only, as cf does).
import ignore from 'ignore';

/** Left out of every package, as the cf CLI does; manifest.yml only at the top. */
export const DEFAULT_EXCLUSIONS = [
  '.cfignore',
  '.weftignore',
  '/manifest.yml',
  '.gitignore',
  '.git',
  '.hg',
  '.svn',
  '_darcs',
  '.DS_Store',
];

/** True for a path (relative, '/'-separated) the package leaves out; `isDir` for directories. */
export type Excluded = (relative: string, isDir: boolean) => boolean;

export function exclusions(ignoreFiles: string[]): Excluded {
  const rules = ignore().add(DEFAULT_EXCLUSIONS);
  for (const text of ignoreFiles) rules.add(text);
  return (relative, isDir) => rules.ignores(isDir ? `${relative}/` : relative);
}

// Names go to `ip` as single argv words; still, refuse anything the kernel would reject or that could be
// read as a path, so a bad name fails here with a clear message rather than half-way through a setup.

export function assertIfaceName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw new Error(`bad interface name ${JSON.stringify(name)}: 1..15 of A-Z a-z 0-9 _ . -`);
  }
}

export function assertNetnsName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name) || name === '.' || name === '..') {
    throw new Error(`bad network namespace name ${JSON.stringify(name)}: 1..64 of A-Z a-z 0-9 _ . -`);
  }
}

/** An absolute path of plain segments: it goes into `ip -batch` lines, where a space would split it. */
export function assertNetnsPath(p: string): void {
  const segments = p.split('/').slice(1);
  const plain = segments.every((s) => /^[A-Za-z0-9_.-]{1,255}$/.test(s) && s !== '.' && s !== '..');
  if (!p.startsWith('/') || p.length > 4096 || !plain) {
    throw new Error(`bad network namespace path ${JSON.stringify(p)}: an absolute path of A-Z a-z 0-9 _ . -`);
  }
}

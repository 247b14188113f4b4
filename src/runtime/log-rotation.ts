// The app writes its log file itself (O_APPEND), so the cell caps it by copy-and-truncate: the full file
// becomes FILE.1 (the one rotated file kept) and the app's next write lands at the start of the emptied file.
import { copyFile, stat, truncate } from 'node:fs/promises';

export const LOG_CAP_BYTES = 16 * 1024 * 1024;
const CHECK_MS = 1_000;

/** Rotates `file` once it is over `capBytes`; resolves whether it did. */
export async function rotateIfOver(file: string, capBytes: number): Promise<boolean> {
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size <= capBytes) return false;
  await copyFile(file, `${file}.1`);
  await truncate(file, 0);
  return true;
}

/** Checks `file` every second until the returned function is called. */
export function watchLogSize(file: string, capBytes = LOG_CAP_BYTES): () => void {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void rotateIfOver(file, capBytes)
      .catch(() => false)
      .finally(() => (busy = false));
  }, CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

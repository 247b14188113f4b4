// One pino logger per process, to stderr so stdout stays the command's own output: JSON lines under
// systemd or into a pipe, readable lines on a terminal (see format.ts; WEFT_LOG_FORMAT=json|text decides).
import fs from 'node:fs';
import { isatty } from 'node:tty';
import { isMainThread } from 'node:worker_threads';
import pino, { type Logger } from 'pino';
import { chooseLogFormat, textLine } from './format.js';

export function createLogger(name: string): Logger {
  const options = { name, level: process.env.WEFT_LOG_LEVEL ?? 'info' };
  const format = chooseLogFormat(process.env.WEFT_LOG_FORMAT, {
    journalStream: process.env.JOURNAL_STREAM,
    stderr: stderrIdentity(),
    stderrIsTty: isatty(2),
  });
  if (format === 'json') return pino(options, pino.destination(2));
  // process.stderr writes to a terminal, a file or a pipe synchronously on Linux, as pino.destination(2)
  // does: the last lines before an exit are not lost. A worker thread's process.stderr is relayed by the
  // main thread instead, so a worker writes to the descriptor itself.
  if (!isMainThread) {
    const stderr = pino.destination({ fd: 2, sync: true });
    return pino(options, { write: (line: string) => stderr.write(textLine(line)) });
  }
  return pino(options, { write: (line: string) => process.stderr.write(textLine(line)) });
}

function stderrIdentity(): { dev: number; ino: number } | null {
  try {
    const { dev, ino } = fs.fstatSync(2);
    return { dev, ino };
  } catch {
    return null;
  }
}

// One pino logger per process; JSON lines to stderr so stdout stays the command's own output.
import pino, { type Logger } from 'pino';

export function createLogger(name: string): Logger {
  return pino({ name, level: process.env.WEFT_LOG_LEVEL ?? 'info' }, pino.destination(2));
}

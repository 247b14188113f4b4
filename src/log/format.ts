// How weft's logs read. JSON lines (pino's own) for journald and log shippers; one human line per record
// on a terminal. The choice follows the environment unless WEFT_LOG_FORMAT names one.

export type LogFormat = 'json' | 'text';

export interface LogSink {
  /** JOURNAL_STREAM as systemd sets it: "device:inode" of the journal's stream. */
  journalStream: string | undefined;
  /** Device and inode of stderr, where the logs go. */
  stderr: { dev: number; ino: number } | null;
  stderrIsTty: boolean;
}

export function chooseLogFormat(wanted: string | undefined, sink: LogSink): LogFormat {
  if (wanted === 'json' || wanted === 'text') return wanted;
  if (wanted !== undefined && wanted !== '') {
    throw new Error(`WEFT_LOG_FORMAT=${wanted}: expected json or text`);
  }
  // systemd's own test: stderr is the journal's stream, not merely a child of a service that inherited it.
  if (sink.journalStream !== undefined && sink.stderr !== null) {
    const [dev, ino] = sink.journalStream.split(':');
    if (Number(dev) === sink.stderr.dev && Number(ino) === sink.stderr.ino) return 'json';
  }
  return sink.stderrIsTty ? 'text' : 'json';
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
// pino's fields that the line shows in its own places, or not at all.
const FRAMED = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'err']);

/** One of pino's JSON lines as a line for a person: time, level, logger, message, then key=value. */
export function textLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof record.time === 'number' ? clock(new Date(record.time)) : '--:--:--.---';
  const level = LEVELS[Number(record.level)] ?? String(record.level);
  const name = typeof record.name === 'string' ? `${record.name}: ` : '';
  const fields = Object.entries(record)
    .filter(([k]) => !FRAMED.has(k))
    .map(([k, v]) => `${escaped(k)}=${typeof v === 'string' ? quoted(v) : JSON.stringify(v)}`);
  const head = [
    `${time} ${level.padEnd(5)} ${name}${escaped(typeof record.msg === 'string' ? record.msg : JSON.stringify(record.msg ?? ''))}`,
    ...fields,
  ].join(' ');
  const err = record.err as { message?: unknown; stack?: unknown } | undefined;
  const stack =
    typeof err?.stack === 'string' ? err.stack : typeof err?.message === 'string' ? err.message : '';
  return stack === '' ? `${head}\n` : `${head}\n${indent(stack)}\n`;
}

function clock(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

// Printable ASCII stays bare; anything else is escaped, so no value or message can end the line, forge
// another, or send a terminal control sequences.
function quoted(s: string): string {
  return /^[\x21-\x7e]+$/.test(s) && !/["=]/.test(s) ? s : JSON.stringify(s);
}

function escaped(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${escaped(l)}`)
    .join('\n');
}

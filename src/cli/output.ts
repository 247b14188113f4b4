// The cf CLI's look: short progress lines, OK/FAILED, aligned borderless tables, [yN] questions.
// Bold only when a person is watching a terminal, so scripts and tests read plain text.
import readline from 'node:readline/promises';

const useBold = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;

function bold(text: string): string {
  return useBold ? `\x1b[1m${text}\x1b[22m` : text;
}

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** "Creating org o1 as admin..." */
export function progress(line: string): void {
  say(`${line}...`);
}

/** cf's "Really delete ...? [yN]": -f skips it, and without a terminal nobody could answer it. */
async function confirmDelete(force: boolean | undefined, question: string): Promise<boolean> {
  if (force === true) return true;
  if (process.stdin.isTTY !== true)
    throw new Error(`${question} Pass -f to delete without a terminal to confirm on`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    const yes = /^y(es)?$/i.test((await rl.question(`${question} [yN]: `)).trim());
    if (!yes) say('Delete cancelled');
    return yes;
  } finally {
    rl.close();
  }
}

export interface Deletion<T> {
  /** "app", "space": with `name`, what the question and the missing line say. */
  kind: string;
  name: string;
  /** What else goes with it, for the question: "including its apps". */
  including?: string;
  /** The progress line, without its "...". */
  doing: string;
  find: () => Promise<T | undefined>;
  remove: (found: T) => Promise<void>;
}

/**
 * cf's delete: asked first (unless -f), announced, and done; deleting what does not exist is said and
 * is not a failure, so scripts may delete twice.
 */
export async function deleteIfFound<T>(force: boolean | undefined, d: Deletion<T>): Promise<void> {
  const including = d.including === undefined ? '' : `, ${d.including}`;
  if (!(await confirmDelete(force, `Really delete the ${d.kind} ${d.name}${including}?`))) return;
  progress(d.doing);
  const found = await d.find();
  const kind = `${d.kind.charAt(0).toUpperCase()}${d.kind.slice(1)}`;
  if (found === undefined) say(`${kind} '${d.name}' does not exist.`);
  else await d.remove(found);
  ok();
}

export function ok(): void {
  say(bold('OK'));
  say();
}

/** Columns separated by two spaces, each as wide as its widest cell; no trailing blanks. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function printTable(header: string[], rows: string[][]): void {
  const [head, ...body] = formatTable(header, rows);
  say(bold(head ?? ''));
  for (const row of body) say(row);
}

/** "name:    value" pairs with the values lined up, as `cf app` and `cf target` print them. */
export function formatFields(fields: [string, string][]): string[] {
  const width = Math.max(...fields.map(([k]) => k.length + 1));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width)}   ${v}`.trimEnd());
}

export function printFields(fields: [string, string][]): void {
  for (const line of formatFields(fields)) say(line);
}

/**
 * A usage error of the command line parser in the cf CLI's words ("Incorrect Usage: unknown flag
 * `foo'"), so scripts that read cf's usage errors read weft's. `text` is the parser's message.
 */
export function cfUsageError(text: string): string {
  const [first = '', ...rest] = text
    .replace(/^error: /, '')
    .trimEnd()
    .split('\n');
  const flag = (flags: string) => flags.replace(/\s*[<[].*$/, '');
  const rules: [RegExp, (m: RegExpExecArray) => string][] = [
    [/^unknown command '([^']+)'/, (m) => `'${m[1]}' is not a registered command. See 'weft --help'`],
    [/^unknown option '-{1,2}([^']+)'/, (m) => `Incorrect Usage: unknown flag \`${m[1]}'`],
    [
      /^missing required argument '([^']+)'/,
      (m) => `Incorrect Usage: the required argument \`${m[1]}\` was not provided`,
    ],
    [
      /^option '([^']+)' argument missing/,
      (m) => `Incorrect Usage: expected argument for flag \`${flag(m[1] ?? '')}'`,
    ],
    [
      /^required option '([^']+)' not specified/,
      (m) => `Incorrect Usage: the required flag \`${flag(m[1] ?? '')}' was not specified`,
    ],
  ];
  for (const [pattern, words] of rules) {
    const m = pattern.exec(first);
    if (m) return [words(m), ...rest].join('\n');
  }
  return [`Incorrect Usage: ${first}`, ...rest].join('\n');
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** How every command fails: FAILED and the reason in words, never a stack trace. */
export function failAndExit(err: unknown): never {
  process.stderr.write(`${bold('FAILED')}\n${errorMessage(err)}\n`);
  process.exit(1);
}

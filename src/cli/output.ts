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
export async function confirmDelete(force: boolean | undefined, question: string): Promise<boolean> {
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

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** How every command fails: FAILED and the reason in words, never a stack trace. */
export function failAndExit(err: unknown): never {
  process.stderr.write(`${bold('FAILED')}\n${errorMessage(err)}\n`);
  process.exit(1);
}

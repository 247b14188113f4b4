// An app's output as `weft logs` reads it: one file per app, lines tagged like Cloud Foundry's.
import fs from 'node:fs';
import path from 'node:path';

export class AppLog {
  private stream: fs.WriteStream | null = null;

  constructor(
    private readonly file: string,
    private readonly index: number,
  ) {}

  write(stream: 'stdout' | 'stderr', line: string): void {
    if (!this.stream) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      this.stream = fs.createWriteStream(this.file, { flags: 'a', mode: 0o600 });
    }
    const tag = stream === 'stdout' ? 'OUT' : 'ERR';
    this.stream.write(`${new Date().toISOString()} [APP/PROC/WEB/${this.index}] ${tag} ${line}\n`);
  }

  close(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    return new Promise((resolve) => (s ? s.end(resolve) : resolve()));
  }
}

// `weft service install`: writes a unit (and a first flags file) and tells systemd, when it runs here.
import fs from 'node:fs';
import path from 'node:path';
import { run } from '../host/run.js';
import { defaultEnvFile, renderUnit, unitName, type ServiceKind } from './units.js';

// systemd/ and bin/ sit beside src/ and dist/.
const TOP = path.resolve(import.meta.dirname, '../..');
const TEMPLATES = path.join(TOP, 'systemd');
/** Where systemd is PID 1, it keeps this directory (sd_booted). */
const SYSTEMD_RUNNING = '/run/systemd/system';
/** The unprivileged account weft-server.service runs as. */
const SERVER_USER = 'weft';

export interface InstallOptions {
  unitDir: string;
  envFile?: string;
}

export async function installService(kind: ServiceKind, opts: InstallOptions): Promise<string[]> {
  const notes: string[] = [];
  const envFile = path.resolve(opts.envFile ?? defaultEnvFile(kind));
  const weft = fs.realpathSync(path.join(TOP, 'bin', 'weft'));
  const unit = renderUnit(fs.readFileSync(path.join(TEMPLATES, unitName(kind)), 'utf8'), { weft, envFile });

  const unitFile = path.join(opts.unitDir, unitName(kind));
  fs.mkdirSync(opts.unitDir, { recursive: true });
  writeAtomically(unitFile, unit, 0o644);
  notes.push(`wrote ${unitFile}`);

  // The operator's flags are never overwritten: an upgrade reinstalls units, not settings.
  if (fs.existsSync(envFile)) {
    notes.push(`kept ${envFile}`);
  } else {
    fs.mkdirSync(path.dirname(envFile), { recursive: true, mode: 0o755 });
    fs.writeFileSync(envFile, fs.readFileSync(path.join(TEMPLATES, `${kind}.env`)), {
      mode: 0o600,
      flag: 'wx',
    });
    notes.push(`wrote ${envFile}: set the flags there`);
  }

  // ProtectHome= hides these from the server, which runs as its own user besides.
  if (kind === 'server' && /^\/(root|home|run\/user)(\/|$)/.test(weft)) {
    notes.push(
      `warning: ${weft} is under a home directory, which the server's unit hides; install weft under /opt`,
    );
  }
  if (kind === 'server' && !(await userExists(SERVER_USER))) {
    await run([
      'useradd',
      '--system',
      '--no-create-home',
      '--home-dir',
      '/var/lib/weft',
      '--shell',
      '/usr/sbin/nologin',
      SERVER_USER,
    ]);
    notes.push(`created the system user ${SERVER_USER}`);
  }

  if (fs.existsSync(SYSTEMD_RUNNING)) {
    await run(['systemctl', 'daemon-reload']);
    notes.push(`systemd reloaded: systemctl enable --now ${unitName(kind)}`);
  } else {
    notes.push(`systemd is not running on this host: run systemctl daemon-reload where it does`);
  }
  return notes;
}

async function userExists(name: string): Promise<boolean> {
  try {
    await run(['getent', 'passwd', name]);
    return true;
  } catch {
    return false;
  }
}

function writeAtomically(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

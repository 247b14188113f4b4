// `weft ssh` and `weft logs`: they reach an instance through the cell that runs it, so they work on
// that cell's host (the one host of `weft up`), as root.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import type { Command } from 'commander';
import { readCellRuntime } from '../../cell/containers.js';
import { APP_DIR } from '../../cell/container-view.js';
import { readInstanceFileSync } from '../../cell/files.js';
import { CellPaths } from '../../cell/paths.js';
import { weftHome } from '../../home/paths.js';
import { execInContainer } from '../../runtime/exec.js';
import { parseInstances } from './flags.js';
import { findApp, openSession, requireTarget } from './session.js';

function cellPaths(): CellPaths {
  return new CellPaths(path.join(weftHome(), 'cell'));
}

export function registerInstanceAccess(program: Command): void {
  program
    .command('ssh')
    .argument('<app>', 'app name')
    .option('-i, --app-instance-index <index>', 'instance index', '0')
    .option('-c, --command <command>', 'command to run instead of an interactive shell')
    .description('run a shell or a command inside an app instance’s container, as the app’s user')
    .action(async (name: string, flags: { appInstanceIndex: string; command?: string }) => {
      const s = openSession();
      const app = await findApp(s, requireTarget(s).space, name);
      const index = parseInstances(flags.appInstanceIndex);
      const instance = (await s.client.instances(app.guid)).find((i) => i.index === index);
      if (!instance) throw new Error(`App '${name}' has no instance ${index}`);
      const state = readInstanceFileSync(cellPaths().instanceState(instance.guid));
      if (!state) {
        throw new Error(
          `Instance ${index} of '${name}' runs on cell '${instance.cellId}'; run 'weft ssh' on that host as root`,
        );
      }
      if (state.pid === null || instance.state !== 'RUNNING') {
        throw new Error(`Instance ${index} of '${name}' is ${instance.state.toLowerCase()}, not running`);
      }
      const runtime = readCellRuntime(cellPaths());
      if (!runtime)
        throw new Error("No cell has run on this host; run 'weft ssh' on the cell's host as root");
      const interactive = flags.command === undefined;
      const child = await execInContainer(runtime, instance.guid, {
        uid: state.uid,
        gid: state.uid,
        command: interactive ? undefined : ['/bin/sh', '-c', flags.command ?? ''],
        tty: interactive && process.stdin.isTTY,
        env: { ...state.env, TERM: process.env.TERM ?? 'dumb' },
        cwd: APP_DIR,
      });
      process.stdin.pipe(child.stdin!);
      child.stdout!.pipe(process.stdout);
      child.stderr!.pipe(process.stderr);
      const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 1)));
      process.stdin.unpipe(child.stdin!);
      process.stdin.destroy();
      process.exitCode = code;
    });

  program
    .command('logs')
    .argument('<app>', 'app name')
    .option('--recent', 'print what was logged and stop, instead of following')
    .description('show an app’s output (every instance on this host), tagged as Cloud Foundry tags it')
    .action(async (name: string, flags: { recent?: boolean }) => {
      const s = openSession();
      const app = await findApp(s, requireTarget(s).space, name);
      const dir = cellPaths().logDir(app.guid);
      const files = fs.existsSync(dir)
        ? fs
            .readdirSync(dir)
            .filter((f) => f.endsWith('.log'))
            .sort()
        : [];
      if (files.length === 0) throw new Error(`No logs for '${name}' on this host`);
      // tail names each file in a "==> FILE <==" line before its lines; that gives each line's instance.
      const tail = spawn(
        'tail',
        ['-v', '-n', flags.recent ? '+1' : '20', ...(flags.recent ? [] : ['-F']), ...files],
        {
          cwd: dir,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let index = '?';
      createInterface({ input: tail.stdout }).on('line', (line) => {
        const header = /^==> (\d+)\.log <==$/.exec(line);
        if (header) index = header[1] ?? '?';
        else if (line !== '') console.log(`[APP/PROC/WEB/${index}] ${line}`);
      });
      await new Promise((resolve) => tail.on('close', resolve));
    });
}

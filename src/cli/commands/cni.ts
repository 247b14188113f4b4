// `weft cni network APP`: the CNI network configuration that joins containers of other runtimes (podman,
// containerd, …) to an app of the targeted space, printed, or installed with the plugin where the runtime
// reads them.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CNI_SHIM } from '../../network/cni/client.js';
import { appConfList, appNetworkName } from '../../network/cni/conflist.js';
import { ok, progress, say } from '../output.js';
import { findApp, inTarget, openSession, requireTarget } from './session.js';

/** Where Debian's containernetworking-plugins live, and podman looks first. */
const DEFAULT_PLUGIN_DIR = '/usr/lib/cni';

/** Puts this weft's shim in `dir` as weft-cni, replaced whole: a runtime never runs a half-written one. */
function installPlugin(dir: string): void {
  const target = path.join(dir, 'weft-cni');
  if (path.resolve(target) === CNI_SHIM) return;
  fs.mkdirSync(dir, { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  fs.copyFileSync(CNI_SHIM, temp);
  fs.chmodSync(temp, 0o755);
  fs.renameSync(temp, target);
}

export function registerCni(program: Command): void {
  const cni = program.command('cni').description('join containers of other runtimes to apps (weft-cni)');
  cni
    .command('network')
    .argument('<app>', 'app name')
    .option(
      '--install <dir>',
      'write weft-APP.conflist into this CNI configuration directory (e.g. /etc/cni/net.d), and the plugin into --plugin-dir',
    )
    .option(
      '--plugin-dir <dir>',
      'with --install: where the runtime looks for CNI plugins',
      DEFAULT_PLUGIN_DIR,
    )
    .description(
      'print (or install) the CNI network configuration a runtime uses to join containers to an app',
    )
    .action(async (name: string, flags: { install?: string; pluginDir: string }) => {
      const s = openSession();
      const t = requireTarget(s);
      const app = await findApp(s, t.space, name);
      const text = JSON.stringify(appConfList(app.name, app.guid), null, 2) + '\n';
      if (flags.install === undefined) {
        process.stdout.write(text);
        return;
      }
      const file = path.join(flags.install, `${appNetworkName(app.name)}.conflist`);
      progress(`Installing CNI network ${appNetworkName(app.name)} for app ${name} ${inTarget(t)}`);
      installPlugin(flags.pluginDir);
      fs.mkdirSync(flags.install, { recursive: true });
      fs.writeFileSync(file, text, { mode: 0o644 });
      ok();
      say(`Containers join ${name} with: podman run --network ${appNetworkName(app.name)} …`);
    });
}

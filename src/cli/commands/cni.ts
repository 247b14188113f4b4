// `weft cni network APP`: the CNI network configuration that joins containers of other runtimes (podman,
// containerd, …) to an app of the targeted space, printed, or installed with the plugin where the runtime
// reads them.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CNI_SOCKET } from '../../network/cni/client.js';
import { cniPlugin } from '../../network/cni/plugin-binary.js';
import { appConfList, appNetworkName } from '../../network/cni/conflist.js';
import { ok, progress, say } from '../output.js';
import { findApp, inTarget, openSession, requireTarget } from './session.js';

/** Where Debian's containernetworking-plugins live, and podman looks first. */
const DEFAULT_PLUGIN_DIR = '/usr/lib/cni';

/**
 * Puts this weft's plugin in `dir` as weft-cni, replaced whole: a runtime never runs a half-written one. A
 * cell on another socket than the default is named in weft-cni.socket beside it, where the plugin looks.
 */
async function installPlugin(dir: string, socket: string | undefined): Promise<void> {
  const target = path.join(dir, 'weft-cni');
  const plugin = await cniPlugin();
  fs.mkdirSync(dir, { recursive: true });
  if (path.resolve(target) !== plugin) {
    const temp = `${target}.${process.pid}.tmp`;
    fs.copyFileSync(plugin, temp);
    fs.chmodSync(temp, 0o755);
    fs.renameSync(temp, target);
  }
  const named = `${target}.socket`;
  if (socket === undefined || path.resolve(socket) === DEFAULT_CNI_SOCKET) fs.rmSync(named, { force: true });
  else fs.writeFileSync(named, `${path.resolve(socket)}\n`, { mode: 0o644 });
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
    .option(
      '--cni-socket <path>',
      `with --install: the socket of the cell the plugin calls, where it is not ${DEFAULT_CNI_SOCKET}`,
    )
    .description(
      'print (or install) the CNI network configuration a runtime uses to join containers to an app',
    )
    .action(async (name: string, flags: { install?: string; pluginDir: string; cniSocket?: string }) => {
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
      await installPlugin(flags.pluginDir, flags.cniSocket);
      fs.mkdirSync(flags.install, { recursive: true });
      fs.writeFileSync(file, text, { mode: 0o644 });
      ok();
      say(`Containers join ${name} with: podman run --network ${appNetworkName(app.name)} …`);
    });
}

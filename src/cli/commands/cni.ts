// `weft cni network APP`: the CNI network configuration that joins containers of other runtimes (podman,
// containerd, …) to an app of the targeted space, printed or installed where the runtime reads them.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { appConfList, appNetworkName } from '../../network/cni/conflist.js';
import { ok, progress, say } from '../output.js';
import { findApp, inTarget, openSession, requireTarget } from './session.js';

export function registerCni(program: Command): void {
  const cni = program.command('cni').description('join containers of other runtimes to apps (weft-cni)');
  cni
    .command('network')
    .argument('<app>', 'app name')
    .option(
      '--install <dir>',
      'write weft-APP.conflist into this CNI configuration directory (e.g. /etc/cni/net.d)',
    )
    .description(
      'print (or install) the CNI network configuration a runtime uses to join containers to an app',
    )
    .action(async (name: string, flags: { install?: string }) => {
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
      fs.mkdirSync(flags.install, { recursive: true });
      fs.writeFileSync(file, text, { mode: 0o644 });
      ok();
      say(`Containers join ${name} with: podman run --network ${appNetworkName(app.name)} …`);
    });
}

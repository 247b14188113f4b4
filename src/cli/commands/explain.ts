// `weft explain SRC DEST [--protocol tcp|udp] [--port N] [--hostname NAME] [--probe]`: why SRC can or cannot reach
// DEST, layer by layer (names, policy, each cell's live kernel, the 61443 certificate, mutual TLS).
import type { Command } from 'commander';
import type { ExplainStep } from '../../contract/explain.js';
import { say } from '../output.js';
import { parsePortRange, parseProtocol } from './flags.js';
import { findApp, openSession, requireTarget } from './session.js';

interface ExplainFlags {
  protocol?: string;
  port?: string;
  hostname?: string;
  probe?: boolean;
}

const MARK: Record<ExplainStep['status'], string> = { ok: '✓', fail: '✗', unknown: '?' };

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .argument('<source>', 'the app that connects (in the targeted space)')
    .argument('<destination>', 'the app it connects to (in the targeted space)')
    .option('--protocol <protocol>', 'tcp or udp (default: tcp)')
    .option('--port <port>', 'the destination port (default: 8080)')
    .option('--hostname <name>', 'the name the source dials, e.g. app-b.apps.internal')
    .option('--probe', 'also send one real connection from a source instance and trace where it stops')
    .description('explain whether one app can reach another, and what stops it')
    .action(async (source: string, destination: string, flags: ExplainFlags) => {
      const s = openSession();
      const t = requireTarget(s);
      const protocol = flags.protocol !== undefined ? parseProtocol(flags.protocol) : undefined;
      let port: number | undefined;
      if (flags.port !== undefined) {
        const range = parsePortRange(flags.port);
        if (range.start !== range.end) throw new Error('Incorrect Usage: --port takes one port here');
        port = range.start;
      }
      const [src, dst] = await Promise.all([findApp(s, t.space, source), findApp(s, t.space, destination)]);
      const answer = await s.client.explain({
        source: src.guid,
        destination: dst.guid,
        ...(protocol !== undefined ? { protocol } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(flags.hostname !== undefined ? { hostname: flags.hostname } : {}),
        ...(flags.probe === true ? { probe: true } : {}),
      });
      for (const step of answer.steps) say(`${MARK[step.status]} ${step.layer.padEnd(11)} ${step.text}`);
      say();
      say(`${answer.verdict.toUpperCase()}: ${answer.summary}`);
      if (answer.verdict === 'denied') process.exitCode = 1;
    });
}

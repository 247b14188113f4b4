// The peer: a Cloud Foundry vxlan-policy-agent style iptables ruleset. CF marks each packet with its source
// app's tag (one rule per source instance IP) and accepts with one linear rule per policy and destination
// instance: `-d DST_IP -p tcp --dport PORT -m mark --mark SRC_TAG -j ACCEPT`. It is loaded whole with
// iptables-restore, as the agent does every poll.
import type { EnforcerDesired } from '../../src/enforcer/desired.js';
import type { Scope } from './cleanup.js';
import { sh } from './proc.js';

export type IptablesFlavour = 'legacy' | 'nft';
type Desired = Pick<EnforcerDesired, 'tags' | 'policies'>;

export class IptablesRuleset {
  readonly chain: string;
  #hooked: string | null = null;
  #registered = false;
  #filterTableWas = true;

  constructor(
    readonly flavour: IptablesFlavour,
    id: string,
  ) {
    this.chain = `wb-${id}`;
  }

  get #bin(): string {
    return `iptables-${this.flavour}`;
  }

  /** Three chains: entry (conntrack, then mark, then filter, then drop), marks by source, one accept per policy. */
  render(d: Desired, pairFirst?: Desired['policies'][number]): string {
    const ipsByTag = new Map<number, string[]>();
    for (const { ip, tag } of d.tags) ipsByTag.set(tag, [...(ipsByTag.get(tag) ?? []), ip]);
    const [entry, mark, filter] = [this.chain, `${this.chain}-m`, `${this.chain}-f`];
    const lines = ['*filter', `:${entry} - [0:0]`, `:${mark} - [0:0]`, `:${filter} - [0:0]`];
    lines.push(
      `-A ${entry} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${entry} -j ${mark}`,
      `-A ${entry} -j ${filter}`,
      `-A ${entry} -j DROP`,
    );
    for (const { ip, tag } of d.tags)
      lines.push(`-A ${mark} -s ${ip}/32 -j MARK --set-xmark 0x${tag.toString(16)}/0xffff`);
    const rule = (p: Desired['policies'][number]): string[] =>
      (ipsByTag.get(p.dstTag) ?? []).map(
        (ip) =>
          `-A ${filter} -d ${ip}/32 -p ${p.protocol} -m ${p.protocol} --dport ${p.startPort === p.endPort ? p.startPort : `${p.startPort}:${p.endPort}`} -m mark --mark 0x${p.srcTag.toString(16)}/0xffff -j ACCEPT`,
      );
    const rules = d.policies.flatMap(rule);
    // The probed pair's rule sits mid-chain: the average place a new rule lands, and the average walk.
    if (pairFirst) rules.splice(Math.floor(rules.length / 2), 0, ...rule(pairFirst));
    lines.push(...rules, 'COMMIT', '');
    return lines.join('\n');
  }

  /** Replaces the three chains' contents in one iptables-restore, leaving everything else alone. */
  async restore(scope: Scope, text: string): Promise<void> {
    if (!this.#registered) {
      this.#registered = true;
      this.#filterTableWas = await filterTableExists(this.flavour);
      scope.defer(`iptables chains ${this.chain}`, () => this.remove());
    }
    await sh(`${this.#bin}-restore`, ['--noflush', '-w'], text);
  }
  /** Puts the entry chain in FORWARD for traffic from interfaces starting with `ifacePrefix`. */
  async hook(ifacePrefix: string): Promise<void> {
    await sh(this.#bin, ['-w', '-I', 'FORWARD', '-i', `${ifacePrefix}+`, '-j', this.chain]);
    this.#hooked = ifacePrefix;
  }

  async remove(): Promise<void> {
    if (this.#hooked !== null) {
      await sh(this.#bin, ['-w', '-D', 'FORWARD', '-i', `${this.#hooked}+`, '-j', this.chain]);
      this.#hooked = null;
    }
    const chains = [this.chain, `${this.chain}-m`, `${this.chain}-f`];
    const existing = await sh(`${this.#bin}-save`, ['-t', 'filter']);
    for (const c of chains) if (existing.includes(`:${c} `)) await sh(this.#bin, ['-w', '-F', c]);
    for (const c of chains) if (existing.includes(`:${c} `)) await sh(this.#bin, ['-w', '-X', c]);
    // iptables-nft creates `table ip filter` on first use; drop it again if we made it and it stayed empty.
    if (!this.#filterTableWas && !(await sh('iptables-nft-save', ['-t', 'filter'])).includes('\n-A ')) {
      await sh('nft', ['delete', 'table', 'ip', 'filter']);
      this.#filterTableWas = true;
    }
  }
}

async function filterTableExists(flavour: IptablesFlavour): Promise<boolean> {
  if (flavour === 'legacy') return true;
  return (await sh('nft', ['list', 'tables'])).includes('table ip filter\n');
}

// What the report says about the machine and the software versions it measured.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { sh } from './proc.js';

async function version(file: string, args: string[], re: RegExp): Promise<string> {
  // nginx prints its version on stderr, the others on stdout; a missing tool prints nothing.
  const text = await new Promise<string>((resolve) =>
    execFile(file, args, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`)),
  );
  return re.exec(text)?.[1] ?? 'not installed';
}

export async function machineFacts(): Promise<Record<string, string>> {
  const cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  const mem = `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`;
  const debian = readFileSync('/etc/debian_version', 'utf8').trim();
  return {
    CPU: cpu,
    cores: String(os.cpus().length),
    memory: mem,
    kernel: (await sh('uname', ['-r'])).trim(),
    Debian: debian,
  };
}

export async function versions(): Promise<Record<string, string>> {
  return {
    node: process.version,
    nft: await version('nft', ['-v'], /nftables (v\S+)/),
    iptables: await version('iptables', ['-V'], /iptables (v\S+ \S+)/),
    nginx: await version('nginx', ['-v'], /nginx\/(\S+)/),
    haproxy: await version('haproxy', ['-v'], /HAProxy version (\S+)/),
    dnsmasq: await version('dnsmasq', ['-v'], /Dnsmasq version (\S+)/),
    wrk: await version('wrk', ['-v'], /wrk (\S+)/),
    dnsperf: await version('dnsperf', ['-h'], /Version (\S+)/),
    openssl: await version('openssl', ['version'], /OpenSSL (\S+)/),
  };
}

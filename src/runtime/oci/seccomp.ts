// The runtime default seccomp profile: containers-common's seccomp.json (the profile podman and Docker
// apply), reduced to the OCI runtime-spec form for one architecture and a process with no capabilities.
import { readFile } from 'node:fs/promises';
import os from 'node:os';

export const CONTAINERS_SECCOMP = '/usr/share/containers/seccomp.json';

interface Conditions {
  arches?: string[];
  caps?: string[];
  minKernel?: string;
}

interface SourceArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

interface SourceRule {
  names?: string[];
  name?: string;
  action: string;
  args?: SourceArg[] | null;
  errnoRet?: number;
  includes?: Conditions;
  excludes?: Conditions;
}

export interface SourceProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: { architecture: string; subArchitectures?: string[] | null }[];
  syscalls?: SourceRule[];
}

export interface OciSeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo: number; op: string }[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: OciSeccompRule[];
}

/** The profile's architecture names (Go's, as in containers-common) by libseccomp's main architecture. */
const GO_ARCH: Record<string, string> = {
  SCMP_ARCH_X86_64: 'amd64',
  SCMP_ARCH_AARCH64: 'arm64',
  SCMP_ARCH_X86: '386',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_RISCV64: 'riscv64',
};

/** libseccomp's architecture for node's os.arch(). */
export function scmpArch(nodeArch: string): string {
  const arch = {
    x64: 'SCMP_ARCH_X86_64',
    arm64: 'SCMP_ARCH_AARCH64',
    ia32: 'SCMP_ARCH_X86',
    arm: 'SCMP_ARCH_ARM',
    ppc64: 'SCMP_ARCH_PPC64LE',
    s390x: 'SCMP_ARCH_S390X',
    riscv64: 'SCMP_ARCH_RISCV64',
  }[nodeArch];
  if (arch === undefined) throw new Error(`no seccomp architecture known for ${nodeArch}`);
  return arch;
}

/** Compares dotted kernel versions numerically ("5.8" <= "6.1.0-13-amd64"). */
export function kernelAtLeast(kernel: string, min: string): boolean {
  const nums = (v: string) => v.split(/[.-]/).map((p) => Number.parseInt(p, 10));
  const [have, want] = [nums(kernel), nums(min)];
  for (let i = 0; i < want.length; i++) {
    const h = Number.isNaN(have[i] ?? NaN) ? 0 : (have[i] ?? 0);
    const w = Number.isNaN(want[i] ?? NaN) ? 0 : (want[i] ?? 0);
    if (h !== w) return h > w;
  }
  return true;
}

function applies(rule: SourceRule, goArch: string, caps: readonly string[], kernel: string): boolean {
  const inc = rule.includes ?? {};
  const exc = rule.excludes ?? {};
  if (inc.arches?.length && !inc.arches.includes(goArch)) return false;
  if (inc.caps?.length && !inc.caps.every((c) => caps.includes(c))) return false;
  if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
  if (exc.arches?.includes(goArch)) return false;
  if (exc.caps?.some((c) => caps.includes(c))) return false;
  if (exc.minKernel && kernelAtLeast(kernel, exc.minKernel)) return false;
  return true;
}

/**
 * The OCI form of `profile` for architecture `arch` (libseccomp's name, e.g. SCMP_ARCH_X86_64), a process
 * holding `caps`, on kernel `kernel`: rules whose includes/excludes do not hold are dropped.
 */
export function ociSeccomp(
  profile: SourceProfile,
  arch: string,
  caps: readonly string[],
  kernel: string,
): OciSeccomp {
  const goArch = GO_ARCH[arch];
  if (goArch === undefined || !profile.archMap?.some((a) => a.architecture === arch))
    throw new Error(`the seccomp profile has no ${arch}`);
  const syscalls = (profile.syscalls ?? [])
    .filter((r) => applies(r, goArch, caps, kernel))
    .map((r): OciSeccompRule => {
      const names = r.names ?? (r.name !== undefined ? [r.name] : []);
      return {
        names,
        action: r.action,
        ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
        ...(r.args?.length
          ? {
              args: r.args.map((a) => ({
                index: a.index,
                value: a.value,
                valueTwo: a.valueTwo ?? 0,
                op: a.op,
              })),
            }
          : {}),
      };
    })
    .filter((r) => r.names.length > 0);
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    // The native ABI only, not the profile's sub-architectures (i386 and x32 on x86-64): their compat syscall
    // tables are kernel attack surface no app of the 64-bit stack needs, and libseccomp compiles a filter
    // for each listed one at every container start. A call through another ABI kills the process (SIGSYS).
    architectures: [arch],
    syscalls,
  };
}

let cached: Promise<OciSeccomp> | undefined;

/** This host's default profile for a process without capabilities, read once. */
export function defaultSeccomp(): Promise<OciSeccomp> {
  cached ??= readFile(CONTAINERS_SECCOMP, 'utf8').then((text) =>
    ociSeccomp(JSON.parse(text) as SourceProfile, scmpArch(os.arch()), [], os.release()),
  );
  return cached;
}

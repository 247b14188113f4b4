import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  CONTAINERS_SECCOMP,
  kernelAtLeast,
  ociSeccomp,
  scmpArch,
  type SourceProfile,
} from '../../../src/runtime/oci/seccomp.js';

const profile: SourceProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [] },
    {
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }],
    },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['sync_file_range2'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
    { names: ['mount', 'umount2'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    {
      names: ['mount', 'umount2'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 1,
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
    { names: ['clone3'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.3' } },
  ],
};

test('keeps rules for this architecture and for a process without capabilities only', () => {
  const oci = ociSeccomp(profile, 'SCMP_ARCH_X86_64', [], '6.1.0-13-amd64');
  assert.deepEqual(oci, {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      {
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }],
      },
      { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mount', 'umount2'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['clone3'], action: 'SCMP_ACT_ALLOW' },
    ],
  });
});

test('a capability the process holds brings its rules in and the refusals out', () => {
  const names = ociSeccomp(profile, 'SCMP_ARCH_AARCH64', ['CAP_SYS_ADMIN'], '6.1').syscalls.map((r) => [
    r.names.join(),
    r.action,
  ]);
  assert.deepEqual(names, [
    ['read,write', 'SCMP_ACT_ALLOW'],
    ['personality', 'SCMP_ACT_ALLOW'],
    ['sync_file_range2', 'SCMP_ACT_ALLOW'],
    ['mount,umount2', 'SCMP_ACT_ALLOW'],
    ['clone3', 'SCMP_ACT_ALLOW'],
  ]);
});

test('rules for newer kernels are left out on older ones', () => {
  const oci = ociSeccomp(profile, 'SCMP_ARCH_X86_64', [], '4.19.0');
  assert.ok(!oci.syscalls.some((r) => r.names.includes('clone3')));
  assert.ok(kernelAtLeast('5.10.0-21-amd64', '5.8'));
  assert.ok(!kernelAtLeast('5.4', '5.8'));
  assert.ok(kernelAtLeast('5.8', '5.8'));
});

test('refuses an architecture the profile does not cover', () => {
  assert.throws(() => ociSeccomp(profile, 'SCMP_ARCH_S390X', [], '6.1'), /no SCMP_ARCH_S390X/);
  assert.throws(() => scmpArch('mips'), /no seccomp architecture/);
});

test("containers-common's profile allows ordinary calls and refuses the privileged ones without capabilities", () => {
  const source = JSON.parse(readFileSync(CONTAINERS_SECCOMP, 'utf8')) as SourceProfile;
  const oci = ociSeccomp(source, 'SCMP_ARCH_X86_64', [], '6.1.0');
  const allowed = new Set(
    oci.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW' && !r.args).flatMap((r) => r.names),
  );
  for (const name of ['read', 'openat', 'clone', 'execve', 'connect', 'arch_prctl'])
    assert.ok(allowed.has(name), name);
  const refused = new Set(oci.syscalls.filter((r) => r.action === 'SCMP_ACT_ERRNO').flatMap((r) => r.names));
  for (const name of ['init_module', 'kexec_load', 'bpf', 'chroot', 'open_by_handle_at', 'settimeofday']) {
    assert.ok(!allowed.has(name) && refused.has(name), `${name} allowed`);
  }
  assert.equal(oci.defaultAction, 'SCMP_ACT_ERRNO');
});

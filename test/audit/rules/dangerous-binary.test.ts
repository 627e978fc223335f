import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dangerousBinary, dangerousKind } from '../../../src/audit/rules/dangerous-binary.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe('recognising dangerous programs by name', () => {
  it('names the kind of each well-known program and nothing for a daemon', () => {
    const names = ['sh', 'bash', 'busybox', 'python3.11', 'perl5.36.0', 'gawk', 'gcc-12', 'x86_64-linux-gnu-gcc-12', 'ld.bfd', 'su', 'sudo', 'mount', 'chroot', 'named', 'libc.so.6', 'shutdown'];
    expect(names.map((n) => [n, dangerousKind(n)])).toEqual([
      ['sh', 'shell'],
      ['bash', 'shell'],
      ['busybox', 'shell'],
      ['python3.11', 'interpreter'],
      ['perl5.36.0', 'interpreter'],
      ['gawk', 'interpreter'],
      ['gcc-12', 'compiler'],
      ['x86_64-linux-gnu-gcc-12', 'compiler'],
      ['ld.bfd', 'compiler'],
      ['su', 'privilege tool'],
      ['sudo', 'privilege tool'],
      ['mount', 'privilege tool'],
      ['chroot', 'privilege tool'],
      ['named', undefined],
      ['libc.so.6', undefined],
      ['shutdown', undefined],
    ]);
  });
});

describe.skipIf(!ok)('the dangerous-binary rule', () => {
  it('reports a shell in the jail, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => {
      copyFileSync('/bin/dash', join(root, 'bin/sh'));
      chmodSync(join(root, 'bin/sh'), 0o555);
    });
    expect(findings).toEqual([findingOf(dangerousBinary, '/bin/sh', 'shell sh')]);
  });

  it('reports an interpreter under another name when a #! line in the jail names it', async () => {
    const findings = await auditWithFlaw((root) => {
      copyFileSync('/bin/dash', join(root, 'bin/runner'));
      chmodSync(join(root, 'bin/runner'), 0o555);
      writeFileSync(join(root, 'bin/job'), '#!/bin/runner -e\necho hi\n', { mode: 0o555 });
    });
    expect(findings).toEqual([findingOf(dangerousBinary, '/bin/runner', 'interpreter named by the #! line of /bin/job')]);
  });

  it('reports a privilege tool such as chroot', async () => {
    const findings = await auditWithFlaw((root) => {
      copyFileSync('/usr/sbin/chroot', join(root, 'bin/chroot'));
      chmodSync(join(root, 'bin/chroot'), 0o555);
    });
    expect(findings).toEqual([findingOf(dangerousBinary, '/bin/chroot', 'privilege tool chroot')]);
  });

  it('accepts a #! script whose interpreter is not in the jail', async () => {
    const findings = await auditWithFlaw((root) => writeFileSync(join(root, 'etc/hook'), '#!/bin/sh\ntrue\n', { mode: 0o444 }));
    expect(findings).toEqual([]);
  });
});

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileCapability } from '../../../src/audit/rules/file-capability.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'setcap', 'mknod'], packages: 'libcap2-bin' });

describe.skipIf(!ok)('the file-capability rule', () => {
  it('reports a binary with file capabilities, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => {
      execFileSync('setcap', ['cap_net_bind_service,cap_sys_chroot=ep', join(root, 'bin/service')]);
    });
    expect(findings).toEqual([findingOf(fileCapability, '/bin/service', 'capabilities cap_net_bind_service,cap_sys_chroot=ep')]);
  });

  it('tells apart files whose names differ only after a space', async () => {
    const findings = await auditWithFlaw((root) => {
      writeFileSync(join(root, 'etc/a'), 'x\n', { mode: 0o444 });
      writeFileSync(join(root, 'etc/a b'), 'x\n', { mode: 0o444 });
      execFileSync('setcap', ['cap_net_raw=ep', join(root, 'etc/a b')]);
    });
    expect(findings).toEqual([findingOf(fileCapability, '/etc/a b', 'capabilities cap_net_raw=ep')]);
  });

  it('says so when a file name is not UTF-8 and its capabilities cannot be read', async () => {
    const findings = await auditWithFlaw((root) => {
      writeFileSync(Buffer.concat([Buffer.from(`${root}/etc/`), Buffer.from([0x66, 0xff])]), 'x\n', { mode: 0o444 });
    });
    expect(findings).toEqual([
      {
        ...findingOf(fileCapability, '/etc/f\\xff', 'name is not UTF-8, so its capabilities could not be read'),
        fix: 'rename it to a UTF-8 name and audit again',
      },
    ]);
  });
});

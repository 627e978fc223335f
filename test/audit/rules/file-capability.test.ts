import { execFileSync } from 'node:child_process';
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
});

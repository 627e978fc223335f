import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupWritable } from '../../../src/audit/rules/group-writable.js';
import { writableDirHoldsCode } from '../../../src/audit/rules/writable-dir-holds-code.js';
import { untrustedSymlink } from '../../../src/audit/rules/untrusted-symlink.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the group-writable rule', () => {
  it('reports a group-writable file, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => chmodSync(join(root, 'etc/passwd'), 0o464));
    expect(findings).toEqual([findingOf(groupWritable, '/etc/passwd', 'file mode 0464, owner 0:0')]);
  });

  it('reports a group-writable directory, and the code and links it holds under their own rules', async () => {
    const findings = await auditWithFlaw((root) => chmodSync(root, 0o775));
    expect(findings).toEqual([
      findingOf(writableDirHoldsCode, '/', 'directory mode 0775, owner 0:0 holds executables or libraries (2), e.g. /bin/service'),
      findingOf(groupWritable, '/', 'dir mode 0775, owner 0:0'),
      findingOf(untrustedSymlink, '/lib64', 'symlink to /lib in a directory of mode 0775, owner 0:0'),
    ]);
  });
});

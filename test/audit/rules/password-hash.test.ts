import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { passwordHash } from '../../../src/audit/rules/password-hash.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the password-hash rule', () => {
  it('reports a hash and an empty password in etc/passwd, and nothing else', async () => {
    const findings = await auditWithFlaw((root) =>
      writeFileSync(join(root, 'etc/passwd'), 'root:$6$salt$hash:0:0::/:/x\nnamed::102:105::/:/x\nbin:*:2:2::/:/x\n', { mode: 0o444 }),
    );
    expect(findings).toEqual([
      findingOf(passwordHash, '/etc/passwd', 'line 1: user root has a password hash'),
      findingOf(passwordHash, '/etc/passwd', 'line 2: user named has an empty password'),
    ]);
  });

  it('reports a group password hash', async () => {
    const findings = await auditWithFlaw((root) => writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnamed:$1$ab$cd:105:\n', { mode: 0o444 }));
    expect(findings).toEqual([findingOf(passwordHash, '/etc/group', 'line 2: group named has a password hash')]);
  });
});

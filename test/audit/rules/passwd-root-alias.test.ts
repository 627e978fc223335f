import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { passwdRootAlias } from '../../../src/audit/rules/passwd-root-alias.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';
import { CLEAN_GROUP, CLEAN_PASSWD } from '../helpers/clean-jail.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the passwd-root-alias rule', () => {
  it('reports a second user with uid 0, and nothing else', async () => {
    const findings = await auditWithFlaw((root) =>
      writeFileSync(join(root, 'etc/passwd'), `${CLEAN_PASSWD}toor:x:0:0::/:/nonexistent\n`, { mode: 0o444 }),
    );
    expect(findings).toEqual([findingOf(passwdRootAlias, '/etc/passwd', 'line 3: user toor has uid 0')]);
  });

  it('reports a user with gid 0, a group with gid 0 and members of group root', async () => {
    const findings = await auditWithFlaw((root) => {
      writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/:/x\nnamed:x:102:0::/:/x\n', { mode: 0o444 });
      writeFileSync(join(root, 'etc/group'), `root:x:0:named\n${CLEAN_GROUP.split('\n')[1]}\nwheel:x:0:\n`, { mode: 0o444 });
    });
    expect(findings).toEqual([
      findingOf(passwdRootAlias, '/etc/group', 'line 1: group root lists members named'),
      findingOf(passwdRootAlias, '/etc/group', 'line 3: group wheel has gid 0'),
      findingOf(passwdRootAlias, '/etc/passwd', 'line 2: user named has gid 0'),
    ]);
  });
});

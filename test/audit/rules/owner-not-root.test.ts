import { chownSync, lchownSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownerNotRoot } from '../../../src/audit/rules/owner-not-root.js';
import { untrustedSymlink } from '../../../src/audit/rules/untrusted-symlink.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the owner-not-root rule', () => {
  it('reports a library owned by a non-root user, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => chownSync(join(root, 'lib/libdemo.so.1'), 102, 105));
    expect(findings).toEqual([findingOf(ownerNotRoot, '/lib/libdemo.so.1', 'file mode 0444, owner 102:105')]);
  });

  it('reports a directory owned by a non-root user', async () => {
    const findings = await auditWithFlaw((root) => chownSync(join(root, 'etc'), 102, 0));
    expect(findings).toEqual([findingOf(ownerNotRoot, '/etc', 'dir mode 0755, owner 102:0')]);
  });

  it('reports a symlink owned by a non-root user under both its owner and its symlink rule', async () => {
    const findings = await auditWithFlaw((root) => lchownSync(join(root, 'lib64'), 102, 105));
    expect(findings).toEqual([
      findingOf(ownerNotRoot, '/lib64', 'symlink mode 0777, owner 102:105'),
      findingOf(untrustedSymlink, '/lib64', 'symlink to /lib owned by uid 102'),
    ]);
  });

  it('accepts a file owned by root with a non-root group', async () => {
    expect(await auditWithFlaw((root) => chownSync(join(root, 'etc/passwd'), 0, 105))).toEqual([]);
  });
});

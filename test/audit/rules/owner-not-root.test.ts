import { chownSync, lchownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditJail } from '../../../src/audit/run-audit.js';
import { drift } from '../../../src/audit/rules/drift.js';
import { ownerNotRoot } from '../../../src/audit/rules/owner-not-root.js';
import { readManifest } from '../../../src/plan/manifest.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { buildInScratch } from '../helpers/build-in-scratch.js';
import { untrustedSymlink } from '../../../src/audit/rules/untrusted-symlink.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod', 'named'], packages: 'bind9 libcap2-bin' });

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

  it('with a manifest, accepts service data below a declared writable path but not a service-owned config', async () => {
    const bind = await buildInScratch(join(REPO_ROOT, 'recipes/bind.ts'));
    try {
      const root = join(bind.dir, 'root');
      const { uid, gid } = readManifest(join(bind.dir, 'manifest.json')).identity ?? { uid: -1, gid: -1 };
      writeFileSync(join(root, 'var/cache/bind/managed-keys.bind'), 'keys\n', { mode: 0o644 });
      chownSync(join(root, 'var/cache/bind/managed-keys.bind'), uid, gid);
      chownSync(join(root, 'etc/bind/named.conf'), uid, gid);
      const report = await auditJail(root, { manifestFile: join(bind.dir, 'manifest.json') });
      expect(report.findings).toEqual([
        findingOf(drift, '/etc/bind/named.conf', `owner: expected 0:0, found ${uid}:${gid}`),
        findingOf(ownerNotRoot, '/etc/bind/named.conf', `file mode 0444, owner ${uid}:${gid}`),
      ]);
    } finally {
      bind.cleanup();
    }
  });
});

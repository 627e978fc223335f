import { chownSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditJail } from '../../../src/audit/run-audit.js';
import { readManifest } from '../../../src/plan/manifest.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { buildInScratch } from '../helpers/build-in-scratch.js';
import { ownerNotRoot } from '../../../src/audit/rules/owner-not-root.js';
import { untrustedSymlink } from '../../../src/audit/rules/untrusted-symlink.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod', 'named'], packages: 'bind9 libcap2-bin' });

describe.skipIf(!ok)('the untrusted-symlink rule', () => {
  it('reports a root-made symlink in a service-owned directory', async () => {
    const findings = await auditWithFlaw((root) => {
      mkdirSync(join(root, 'run'), { mode: 0o700 });
      symlinkSync('/etc/shadow', join(root, 'run/named.pid'));
      chownSync(join(root, 'run'), 102, 105);
    });
    expect(findings).toEqual([
      findingOf(ownerNotRoot, '/run', 'dir mode 0700, owner 102:105'),
      findingOf(untrustedSymlink, '/run/named.pid', 'symlink to /etc/shadow in a directory of mode 0700, owner 102:105'),
    ]);
  });

  it('accepts root-made symlinks with absolute targets in root-owned directories', async () => {
    expect(await auditWithFlaw((root) => symlinkSync('/etc/passwd', join(root, 'etc/users')))).toEqual([]);
  });

  it('reports a symlink in a declared writable directory of a built jail, and nothing else', async () => {
    const bind = await buildInScratch(join(REPO_ROOT, 'recipes/bind.ts'));
    try {
      symlinkSync('/etc/shadow', join(bind.dir, 'root/run/named/named.pid'));
      const report = await auditJail(join(bind.dir, 'root'), { manifestFile: join(bind.dir, 'manifest.json') });
      const { uid, gid } = readManifest(join(bind.dir, 'manifest.json')).identity ?? { uid: -1, gid: -1 };
      expect(report.findings).toEqual([
        findingOf(untrustedSymlink, '/run/named/named.pid', `symlink to /etc/shadow in a directory of mode 0700, owner ${uid}:${gid}`),
      ]);
    } finally {
      bind.cleanup();
    }
  });
});

import { chownSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditJail } from '../../../src/audit/run-audit.js';
import { readManifest } from '../../../src/plan/manifest.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { buildInScratch } from '../helpers/build-in-scratch.js';
import { ownerNotRoot } from '../../../src/audit/rules/owner-not-root.js';
import { writableDirHoldsCode } from '../../../src/audit/rules/writable-dir-holds-code.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod', 'named'], packages: 'bind9 libcap2-bin' });

describe.skipIf(!ok)('the writable-dir-holds-code rule', () => {
  it('reports a service-owned directory holding a library at any depth', async () => {
    const findings = await auditWithFlaw((root) => {
      mkdirSync(join(root, 'data/plugins'), { recursive: true, mode: 0o755 });
      writeFileSync(join(root, 'data/plugins/libplugin.so'), 'plugin\n', { mode: 0o444 });
      chownSync(join(root, 'data'), 102, 105);
    });
    expect(findings).toEqual([
      findingOf(writableDirHoldsCode, '/data', 'directory mode 0755, owner 102:105 holds executables or libraries (1), e.g. /data/plugins/libplugin.so'),
      findingOf(ownerNotRoot, '/data', 'dir mode 0755, owner 102:105'),
    ]);
  });

  it('accepts a service-owned directory that holds only data', async () => {
    const findings = await auditWithFlaw((root) => {
      mkdirSync(join(root, 'data'), { mode: 0o700 });
      writeFileSync(join(root, 'data/zone.db'), 'data\n', { mode: 0o444 });
      copyFileSync(join(root, 'etc/passwd'), join(root, 'data/copy'));
      chownSync(join(root, 'data'), 102, 105);
    });
    expect(findings).toEqual([findingOf(ownerNotRoot, '/data', 'dir mode 0700, owner 102:105')]);
  });

  it('reports an executable in a declared writable directory of a built jail, and nothing else', async () => {
    const bind = await buildInScratch(join(REPO_ROOT, 'recipes/bind.ts'));
    try {
      const { uid, gid } = readManifest(join(bind.dir, 'manifest.json')).identity ?? { uid: -1, gid: -1 };
      copyFileSync('/usr/bin/true', join(bind.dir, 'root/var/cache/bind/helper'));
      const report = await auditJail(join(bind.dir, 'root'), { manifestFile: join(bind.dir, 'manifest.json') });
      expect(report.findings).toEqual([
        findingOf(writableDirHoldsCode, '/var/cache/bind', `directory mode 0700, owner ${uid}:${gid} holds executables or libraries (1), e.g. /var/cache/bind/helper`),
      ]);
    } finally {
      bind.cleanup();
    }
  });
});

import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditJail } from '../../../src/audit/run-audit.js';
import { drift } from '../../../src/audit/rules/drift.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { prerequisites } from '../../helpers/prereq.js';
import { findingOf } from '../helpers/audit-fixture.js';
import { buildInScratch } from '../helpers/build-in-scratch.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the drift rule', () => {
  it('reports a changed mode and an extra file of a built jail, and nothing else', async () => {
    const build = await buildInScratch(join(REPO_ROOT, 'recipes/id.ts'));
    try {
      const root = join(build.dir, 'root');
      chmodSync(join(root, 'etc/passwd'), 0o400);
      chmodSync(join(root, 'etc'), 0o755);
      writeFileSync(join(root, 'etc/motd'), 'hello\n', { mode: 0o444 });
      chmodSync(join(root, 'etc'), 0o555);
      const report = await auditJail(root, { manifestFile: join(build.dir, 'manifest.json') });
      expect(report.findings).toEqual([
        findingOf(drift, '/etc/motd', 'extra: expected nothing, found file'),
        findingOf(drift, '/etc/passwd', 'mode: expected 0444, found 0400'),
      ]);
    } finally {
      build.cleanup();
    }
  });

  it('finds no drift in a built jail reached through a symlink to its root', async () => {
    const build = await buildInScratch(join(REPO_ROOT, 'recipes/id.ts'));
    try {
      symlinkSync('out/root', join(build.dir, '../link'));
      const report = await auditJail(join(build.dir, '../link'), { manifestFile: join(build.dir, 'manifest.json') });
      expect(report.findings).toEqual([]);
    } finally {
      build.cleanup();
    }
  });

  it('checks nothing without a manifest', async () => {
    const build = await buildInScratch(join(REPO_ROOT, 'recipes/id.ts'));
    try {
      chmodSync(join(build.dir, 'root/etc/passwd'), 0o400);
      expect((await auditJail(join(build.dir, 'root'))).findings).toEqual([]);
    } finally {
      build.cleanup();
    }
  });
});

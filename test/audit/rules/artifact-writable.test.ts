import { chmodSync, chownSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditReportSchema } from '../../../src/audit/finding.js';
import { artifactWritable } from '../../../src/audit/rules/artifact-writable.js';
import { REPO_ROOT, mkjail } from '../../helpers/cli.js';
import { prerequisites } from '../../helpers/prereq.js';
import { findingOf } from '../helpers/audit-fixture.js';
import { buildInScratch } from '../helpers/build-in-scratch.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the artifact-writable rule', () => {
  it('reports a writable launcher, a perms.sh owned by another user and a symlinked unit beside the jail, and nothing else', async () => {
    const build = await buildInScratch(join(REPO_ROOT, 'recipes/id.ts'));
    try {
      chmodSync(join(build.dir, 'launch'), 0o757);
      chownSync(join(build.dir, 'perms.sh'), 65534, 0);
      rmSync(join(build.dir, 'id.service'));
      symlinkSync('/dev/null', join(build.dir, 'id.service'));
      const result = await mkjail(['audit', '--json', build.dir]);
      expect(result.exitCode).toBe(1);
      expect(auditReportSchema.parse(JSON.parse(result.stdout)).findings).toEqual([
        findingOf(artifactWritable, join(build.dir, 'id.service'), 'a symlink'),
        findingOf(artifactWritable, join(build.dir, 'launch'), 'file mode 0757, owner 0:0'),
        findingOf(artifactWritable, join(build.dir, 'perms.sh'), 'file mode 0700, owner 65534:0'),
      ]);
    } finally {
      build.cleanup();
    }
  });

  it('checks the manifest given with --manifest', async () => {
    const build = await buildInScratch(join(REPO_ROOT, 'recipes/id.ts'));
    try {
      chmodSync(join(build.dir, 'manifest.json'), 0o666);
      const result = await mkjail(['audit', '--json', join(build.dir, 'root'), '--manifest', join(build.dir, 'manifest.json')]);
      expect(auditReportSchema.parse(JSON.parse(result.stdout)).findings).toEqual([
        findingOf(artifactWritable, join(build.dir, 'manifest.json'), 'file mode 0666, owner 0:0'),
      ]);
    } finally {
      build.cleanup();
    }
  });
});

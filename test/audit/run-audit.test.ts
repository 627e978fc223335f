import { describe, expect, it } from 'vitest';
import { auditJail } from '../../src/audit/run-audit.js';
import { AUDIT_FORMAT } from '../../src/audit/finding.js';
import { join } from 'node:path';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, plantCleanJail, removeScratch } from './helpers/clean-jail.js';
import { auditWithFlaw, findingOf } from './helpers/audit-fixture.js';
import { setuidSetgid } from '../../src/audit/rules/setuid-setgid.js';
import { chmodSync } from 'node:fs';
import { devDirMode } from '../../src/audit/rules/dev-dir-mode.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'], packages: 'libcap2-bin coreutils' });

describe.skipIf(!ok)('auditing a jail', () => {
  it('reports nothing for a clean jail and says how many entries it read', async () => {
    const scratch = makeScratch();
    try {
      const root = join(scratch, 'root');
      plantCleanJail(root);
      expect(await auditJail(root)).toEqual({
        format: AUDIT_FORMAT,
        root,
        manifest: null,
        failOn: 'low',
        entries: 11,
        allowed: [],
        declared: [],
        unmatchedAllow: [],
        findings: [],
        failed: false,
      });
    } finally {
      removeScratch(scratch);
    }
  });

  it('sorts findings worst first and drops exactly the ones --allow names', async () => {
    const findings = await auditWithFlaw(
      (root) => {
        chmodSync(join(root, 'dev'), 0o755);
        chmodSync(join(root, 'bin/service'), 0o4555);
        chmodSync(join(root, 'lib/libdemo.so.1'), 0o6444);
      },
      { allow: [{ rule: 'setuid-setgid', path: '/lib/libdemo.so.1' }] },
    );
    expect(findings).toEqual([
      findingOf(setuidSetgid, '/bin/service', 'setuid file, mode 4555, owner 0:0'),
      findingOf(devDirMode, '/dev', 'mode 0755'),
    ]);
  });
});

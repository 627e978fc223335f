import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { devDirMode } from '../../../src/audit/rules/dev-dir-mode.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the dev-dir-mode rule', () => {
  it('reports a listable /dev, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => chmodSync(join(root, 'dev'), 0o755));
    expect(findings).toEqual([findingOf(devDirMode, '/dev', 'mode 0755')]);
  });

  it('accepts a jail without /dev', async () => {
    expect(await auditWithFlaw((root) => rmSync(join(root, 'dev'), { recursive: true }))).toEqual([]);
  });
});

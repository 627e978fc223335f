import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shadowFile } from '../../../src/audit/rules/shadow-file.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the shadow-file rule', () => {
  it('reports etc/shadow, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o400 }));
    expect(findings).toEqual([findingOf(shadowFile, '/etc/shadow', 'file present')]);
  });
});

import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { setuidSetgid } from '../../../src/audit/rules/setuid-setgid.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the setuid-setgid rule', () => {
  it('reports a setuid root binary, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => chmodSync(join(root, 'bin/service'), 0o4555));
    expect(findings).toEqual([findingOf(setuidSetgid, '/bin/service', 'setuid file, mode 4555, owner 0:0')]);
  });

  it('reports a file that is both setuid and setgid', async () => {
    const findings = await auditWithFlaw((root) => chmodSync(join(root, 'bin/service'), 0o6555));
    expect(findings).toEqual([findingOf(setuidSetgid, '/bin/service', 'setuid+setgid file, mode 6555, owner 0:0')]);
  });
});

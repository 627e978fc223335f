import { linkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hardLinkOutside } from '../../../src/audit/rules/hard-link-outside.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the hard-link-outside rule', () => {
  it('reports a file hard-linked with a file outside the jail, and nothing else', async () => {
    const findings = await auditWithFlaw((root, scratch) => {
      writeFileSync(join(scratch, 'host-file'), 'host\n', { mode: 0o444 });
      linkSync(join(scratch, 'host-file'), join(root, 'etc/linked'));
    });
    expect(findings).toEqual([findingOf(hardLinkOutside, '/etc/linked', 'file with 2 links, 1 of them inside the jail')]);
  });

  it('accepts two names for one file when both are inside the jail', async () => {
    const findings = await auditWithFlaw((root) => linkSync(join(root, 'etc/passwd'), join(root, 'etc/passwd.copy')));
    expect(findings).toEqual([]);
  });
});

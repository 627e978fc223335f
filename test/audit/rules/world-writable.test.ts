import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { worldWritable } from '../../../src/audit/rules/world-writable.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the world-writable rule', () => {
  it('reports a world-writable file, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => chmodSync(join(root, 'etc/group'), 0o446));
    expect(findings).toEqual([findingOf(worldWritable, '/etc/group', 'file mode 0446, owner 0:0')]);
  });

  it('reports a sticky world-writable directory too', async () => {
    const findings = await auditWithFlaw((root) => chmodSync(join(root, 'etc'), 0o1777));
    expect(findings).toEqual([findingOf(worldWritable, '/etc', 'dir mode 1777, owner 0:0')]);
  });

  it('accepts /dev/null, which is mode 0666 in the clean jail', async () => {
    expect(await auditWithFlaw(() => undefined)).toEqual([]);
  });
});

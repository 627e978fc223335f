import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deviceNode } from '../../../src/audit/rules/device-node.js';
import { prerequisites } from '../../helpers/prereq.js';
import { auditWithFlaw, findingOf } from '../helpers/audit-fixture.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod'] });

describe.skipIf(!ok)('the device-node rule', () => {
  it('reports /dev/mem, and nothing else', async () => {
    const findings = await auditWithFlaw((root) => {
      execFileSync('mknod', ['-m', '600', join(root, 'dev/mem'), 'c', '1', '1']);
    });
    expect(findings).toEqual([findingOf(deviceNode, '/dev/mem', 'char device 1,1')]);
  });

  it('reports a block device', async () => {
    const findings = await auditWithFlaw((root) => {
      execFileSync('mknod', ['-m', '600', join(root, 'dev/sda'), 'b', '8', '0']);
    });
    expect(findings).toEqual([findingOf(deviceNode, '/dev/sda', 'block device 8,0')]);
  });

  it('reports a /dev/null that is another device', async () => {
    const findings = await auditWithFlaw((root) => {
      rmSync(join(root, 'dev/null'));
      execFileSync('mknod', ['-m', '600', join(root, 'dev/null'), 'c', '1', '2']);
    });
    expect(findings).toEqual([findingOf(deviceNode, '/dev/null', 'char device 1,2')]);
  });

  it('reports device numbers above 255 as the kernel splits them', async () => {
    const findings = await auditWithFlaw((root) => {
      execFileSync('mknod', ['-m', '600', join(root, 'dev/big'), 'c', '300', '70000']);
    });
    expect(findings).toEqual([findingOf(deviceNode, '/dev/big', 'char device 300,70000')]);
  });
});

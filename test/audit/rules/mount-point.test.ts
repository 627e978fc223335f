import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { auditReportSchema } from '../../../src/audit/finding.js';
import { mountPoint } from '../../../src/audit/rules/mount-point.js';
import { parseMountLine } from '../../../src/audit/read-mounts.js';
import { MKJAIL_BIN } from '../../helpers/cli.js';
import { prerequisites } from '../../helpers/prereq.js';
import { findingOf } from '../helpers/audit-fixture.js';
import { makeScratch, plantCleanJail, removeScratch } from '../helpers/clean-jail.js';

const ok = prerequisites({ root: true, commands: ['getcap', 'mknod', 'unshare', 'mount'], packages: 'util-linux' });

/**
 * Mounts `mounts` (fstype, directory inside the jail) in a private mount namespace and audits the jail
 * there: the mounts vanish with the namespace, so nothing is left mounted on the host even on failure.
 */
async function auditWithMounts(mounts: Array<[string, string, string]>): Promise<{ root: string; findings: unknown }> {
  const scratch = makeScratch();
  try {
    const root = join(scratch, 'root');
    plantCleanJail(root);
    for (const [, dir] of mounts) mkdirSync(join(root, dir), { mode: 0o755 });
    const script = `${mounts.map(([type, dir, options]) => `mount -t ${type} -o ${options} ${type} "$1/${dir}"`).join(' && ')} && exec "$2" "$3" audit --json "$1"`;
    const result = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root, process.execPath, MKJAIL_BIN], {
      reject: false,
    });
    expect(result.exitCode).toBe(1);
    return { root, findings: auditReportSchema.parse(JSON.parse(String(result.stdout))).findings };
  } finally {
    removeScratch(scratch);
  }
}

describe('reading the mount table', () => {
  it('unescapes spaces in mount points and reads the type and source', () => {
    expect(parseMountLine('36 35 98:0 / /srv/my\\040jail/proc rw,nosuid shared:5 - proc proc rw')).toEqual({
      path: '/srv/my jail/proc',
      fsType: 'proc',
      source: 'proc',
    });
  });
});

describe.skipIf(!ok)('the mount-point rule', () => {
  it('reports /proc and a tmpfs mounted inside the jail, and nothing else', async () => {
    const { findings } = await auditWithMounts([
      ['proc', 'proc', 'nosuid'],
      ['tmpfs', 'run', 'mode=0755'],
    ]);
    expect(findings).toEqual([findingOf(mountPoint, '/proc', 'proc mounted from proc'), findingOf(mountPoint, '/run', 'tmpfs mounted from tmpfs')]);
  });
});

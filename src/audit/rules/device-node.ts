// Rule device-node: the only device in a jail is /dev/null (char 1,3); any other device node, or a
// /dev/null that is something else, is a way into the host's hardware or kernel memory.
import type { Stats } from 'node:fs';
import type { AuditRule } from '../audit-rule.js';
import type { JailEntry } from '../walk-jail.js';

/** The allowlist of device nodes a jail may hold. */
export const DEV_NODES = [{ path: '/dev/null', kind: 'chardev', major: 1, minor: 3 }] as const;

export const deviceNode: AuditRule = {
  id: 'device-node',
  severity: 'critical',
  checks: 'a character or block device other than /dev/null (char 1,3)',
  why: 'a device node gives direct access to host hardware, disks or kernel memory, bypassing file permissions',
  fix: 'remove it; a jail needs at most /dev/null (mknod -m 666 dev/null c 1 3)',
  check(jail) {
    return jail.entries
      .filter((entry) => (entry.kind === 'chardev' || entry.kind === 'blockdev') && !isDevNull(entry))
      .map((entry) => {
        const { major, minor } = deviceNumbers(entry.stats);
        return { path: entry.path, found: `${entry.kind === 'chardev' ? 'char' : 'block'} device ${major},${minor}` };
      });
  },
};

export function isDevNull(entry: JailEntry): boolean {
  const { major, minor } = deviceNumbers(entry.stats);
  return DEV_NODES.some((d) => d.path === entry.path && d.kind === entry.kind && d.major === major && d.minor === minor);
}

/** Linux's dev_t split (glibc's gnu_dev_major/minor): 12 bits of major and 20 of minor, interleaved. */
export function deviceNumbers(stats: Stats): { major: number; minor: number } {
  const rdev = BigInt(stats.rdev);
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

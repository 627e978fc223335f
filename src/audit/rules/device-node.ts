// Rule device-node: the only device in a jail is /dev/null (char 1,3); any other device node, or a
// /dev/null that is something else, is a way into the host's hardware or kernel memory.
import type { AuditRule } from '../audit-rule.js';
import type { JailEntry } from '../walk-jail.js';

/** The allowlist of device nodes a jail may hold. */
export const DEV_NODES = [{ path: '/dev/null', type: 'chardev', major: 1, minor: 3 }] as const;

export const deviceNode: AuditRule = {
  id: 'device-node',
  severity: 'critical',
  checks: 'a character or block device other than /dev/null (char 1,3)',
  why: 'a device node gives direct access to host hardware, disks or kernel memory, bypassing file permissions',
  fix: 'remove it; a jail needs at most /dev/null (mknod -m 666 dev/null c 1 3)',
  check(jail) {
    return jail.entries
      .filter((entry) => (entry.type === 'chardev' || entry.type === 'blockdev') && !isDevNull(entry))
      .map((entry) => ({ path: entry.path, found: `${entry.type === 'chardev' ? 'char' : 'block'} device ${entry.major},${entry.minor}` }));
  },
};

export function isDevNull(entry: JailEntry): boolean {
  return DEV_NODES.some((d) => d.path === entry.path && d.type === entry.type && d.major === entry.major && d.minor === entry.minor);
}

// Rule device-node: the only device in a jail is /dev/null (char 1,3), and the pseudo-devices its
// manifest declares (a recipe's `devices`: zero, full, random, urandom, tty, each with a why); any other
// device node, or a declared name holding other numbers, is a way into the host's hardware or kernel memory.
import type { Manifest } from '../../plan/manifest.js';
import { DEVICE_NUMBERS, type DeviceName } from '../../recipe/schema.js';
import type { AuditRule } from '../audit-rule.js';
import type { JailEntry } from '../walk-jail.js';

/** The allowlist of device nodes a jail may hold. */
export const DEV_NODES = [{ path: '/dev/null', type: 'chardev', major: 1, minor: 3 }] as const;

export const deviceNode: AuditRule = {
  id: 'device-node',
  severity: 'critical',
  checks: 'a character or block device other than /dev/null (char 1,3) and the pseudo-devices the manifest declares',
  why: 'a device node gives direct access to host hardware, disks or kernel memory, bypassing file permissions',
  fix: 'remove it; a jail needs at most /dev/null (mknod -m 666 dev/null c 1 3)',
  check(jail) {
    return jail.entries
      .filter((entry) => (entry.type === 'chardev' || entry.type === 'blockdev') && !isDevNull(entry) && !isDeclaredDevice(jail.manifest, entry))
      .map((entry) => ({ path: entry.path, found: `${entry.type === 'chardev' ? 'char' : 'block'} device ${entry.major},${entry.minor}` }));
  },
};

export function isDevNull(entry: JailEntry): boolean {
  return DEV_NODES.some((d) => d.path === entry.path && d.type === entry.type && d.major === entry.major && d.minor === entry.minor);
}

/**
 * A pseudo-device the manifest declares: /dev/NAME for a NAME a recipe may list in `devices`, a char
 * device with that name's own numbers, in the manifest as the same device. Its 0666 mode is its nature.
 */
export function isDeclaredDevice(manifest: Manifest | undefined, entry: JailEntry): boolean {
  if (!manifest || entry.type !== 'chardev' || !entry.path.startsWith('/dev/')) return false;
  const numbers = DEVICE_NUMBERS[entry.path.slice('/dev/'.length) as DeviceName] as { major: number; minor: number } | undefined;
  if (!numbers || numbers.major !== entry.major || numbers.minor !== entry.minor) return false;
  return manifest.entries.some((e) => e.path === entry.path && e.type === 'chardev' && e.major === entry.major && e.minor === entry.minor);
}

// Rule hard-link-outside: a non-directory whose link count is higher than the number of its names
// inside the jail shares its inode with a file outside the jail.
import type { AuditRule } from '../audit-rule.js';
import type { JailEntry } from '../walk-jail.js';

export const hardLinkOutside: AuditRule = {
  id: 'hard-link-outside',
  severity: 'high',
  checks: 'a file with more hard links than names inside the jail (shared with a file outside)',
  why: 'the jail and the host share one inode: a write on either side changes both, and host updates leak in',
  fix: 'replace it with a copy (cp --preserve=mode FILE FILE.new && mv FILE.new FILE)',
  check(jail) {
    const names = new Map<string, JailEntry[]>();
    for (const entry of jail.entries) {
      if (entry.type === 'dir') continue;
      const key = `${entry.dev}:${entry.ino}`;
      names.set(key, [...(names.get(key) ?? []), entry]);
    }
    return [...names.values()]
      .filter((group) => (group[0] as JailEntry).nlink > group.length)
      .flatMap((group) =>
        group.map((entry) => ({
          path: entry.path,
          found: `${entry.type} with ${entry.nlink} links, ${group.length} of them inside the jail`,
        })),
      );
  },
};

// Rule untrusted-symlink: a symlink someone other than root could have made or changed (owned by a
// non-root user, or in a directory one can write). Symlinks placed by root in root-owned directories are
// fine, absolute targets included: inside the chroot they resolve inside the jail.
import type { AuditRule, RuleHit } from '../audit-rule.js';
import { describeMeta, parentPath, writableByNonRoot } from '../jail-view.js';

export const untrustedSymlink: AuditRule = {
  id: 'untrusted-symlink',
  severity: 'medium',
  checks: 'a symlink owned by a non-root user or in a directory a non-root user can write',
  why: 'a root process outside the jail (perms.sh, backups, log rotation) that follows it acts on the host file it names',
  fix: 'remove it; keep service-writable directories free of symlinks, or never let root follow links there',
  check(jail) {
    const hits: RuleHit[] = [];
    for (const entry of jail.entries) {
      if (entry.type !== 'symlink') continue;
      const parent = jail.byPath.get(parentPath(entry.path));
      const target = entry.target ?? '';
      if (entry.uid !== 0) {
        hits.push({ path: entry.path, found: `symlink to ${target} owned by uid ${entry.uid}` });
      } else if (parent && writableByNonRoot(parent)) {
        hits.push({ path: entry.path, found: `symlink to ${target} in a directory of ${describeMeta(parent)}` });
      }
    }
    return hits;
  },
};

// Rule writable-parent: every directory from / down to the jail root is owned by root and writable by
// root alone, along the real path and along the path as given (a symlink's directory counts: whoever
// can write it can point the link elsewhere). Sticky directories (/tmp) count too, one step lower.
import { lstatSync } from 'node:fs';
import { posix } from 'node:path';
import type { AuditRule, RuleHit } from '../audit-rule.js';
import { describeMeta } from '../jail-view.js';

export const writableParent: AuditRule = {
  id: 'writable-parent',
  severity: 'critical',
  checks: 'a directory above the jail root that is writable by group/other (sticky too) or owned by a non-root user',
  why: 'its writer can rename the jail away and put another tree in its place, which root then enters and runs',
  fix: 'move the jail below root-owned directories of mode 0755 (e.g. under /srv or /var/lib), or chmod go-w / chown root the directory',
  check(jail) {
    const dirs = [...new Set([...ancestors(posix.resolve(jail.root)), ...ancestors(jail.realRoot)])].sort();
    return dirs.flatMap((dir): RuleHit[] => {
      const stats = lstatSync(dir);
      // A symlink's own bits mean nothing; the directory holding it is in the list too.
      if (stats.isSymbolicLink()) return [];
      const open = (stats.mode & 0o022) !== 0;
      if (stats.uid === 0 && !open) return [];
      const sticky = (stats.mode & 0o1000) !== 0;
      const found = `directory ${describeMeta(stats)}${sticky && open ? ' (sticky)' : ''}`;
      return [{ path: dir, found, ...(stats.uid === 0 && sticky ? { severity: 'high' as const } : {}) }];
    });
  },
};

/** "/", "/srv", "/srv/jails" for "/srv/jails/named": every directory above `path`. */
export function ancestors(path: string): string[] {
  const result: string[] = [];
  for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
    result.unshift(dir);
    if (dir === '/') return path === '/' ? [] : result;
  }
}

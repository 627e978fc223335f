// Rule group-writable: nothing is writable by its group, except declared writable paths (manifest)
// and the service data below them.
import type { AuditRule } from '../audit-rule.js';
import { describeMeta, isDeclaredWritable } from '../jail-view.js';

export const groupWritable: AuditRule = {
  id: 'group-writable',
  severity: 'high',
  checks: 'a file or directory writable by its group (declared writable paths excepted)',
  why: 'every member of the group, the service among them, can rewrite or replace it',
  fix: 'chmod g-w it (re-run perms.sh), or declare it writable in the recipe',
  check(jail) {
    return jail.entries
      .filter((entry) => entry.type !== 'symlink' && (entry.bits & 0o020) !== 0 && (entry.bits & 0o002) === 0)
      .filter((entry) => !isDeclaredWritable(jail, entry.path))
      .map((entry) => ({ path: entry.path, found: `${entry.type} ${describeMeta(entry)}` }));
  },
};

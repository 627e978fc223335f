// Rule owner-not-root: every entry is owned by root, except declared writable paths (manifest) and the
// service data below them.
import type { AuditRule } from '../audit-rule.js';
import { describeMeta, isDeclaredWritable } from '../jail-view.js';

export const ownerNotRoot: AuditRule = {
  id: 'owner-not-root',
  severity: 'high',
  checks: 'a file, directory or link not owned by root (declared writable paths excepted)',
  why: 'its owner can chmod and rewrite it, so a compromised service can plant code or change what the jail runs',
  fix: 'chown root it (re-run perms.sh), or declare it writable in the recipe',
  check(jail) {
    return jail.entries
      .filter((entry) => entry.uid !== 0 && !isDeclaredWritable(jail, entry.path))
      .map((entry) => ({ path: entry.path, found: `${entry.type} ${describeMeta(entry)}` }));
  },
};

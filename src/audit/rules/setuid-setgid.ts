// Rule setuid-setgid: no file in a jail runs with another user's or group's rights.
import type { AuditRule } from '../audit-rule.js';
import { describeMeta } from '../jail-view.js';

export const setuidSetgid: AuditRule = {
  id: 'setuid-setgid',
  severity: 'critical',
  checks: 'a setuid or setgid file',
  why: 'running it gives its owner\'s rights (usually root) inside the jail, and root in a chroot can break out',
  fix: 'chmod u-s,g-s it (re-run perms.sh), or remove it from the jail',
  check(jail) {
    return jail.entries
      .filter((entry) => entry.type === 'file' && (entry.bits & 0o6000) !== 0)
      .map((entry) => {
        const bits = [(entry.bits & 0o4000) !== 0 ? 'setuid' : '', (entry.bits & 0o2000) !== 0 ? 'setgid' : '']
          .filter((b) => b !== '')
          .join('+');
        return { path: entry.path, found: `${bits} file, ${describeMeta(entry)}` };
      });
  },
};

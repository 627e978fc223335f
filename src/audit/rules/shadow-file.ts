// Rule shadow-file: no shadow password database in a jail (etc/shadow, etc/gshadow, their backups).
import type { AuditRule } from '../audit-rule.js';

export const SHADOW_FILES: readonly string[] = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/master.passwd'];

export const shadowFile: AuditRule = {
  id: 'shadow-file',
  severity: 'high',
  checks: 'etc/shadow, etc/gshadow (or their "-" backups) inside the jail',
  why: 'password hashes inside the jail can be read and cracked offline; the service never needs them',
  fix: 'delete it from the jail; resolve users on the host and start the service with numeric ids',
  check(jail) {
    return SHADOW_FILES.flatMap((path) => {
      const entry = jail.byPath.get(path);
      return entry ? [{ path, found: `${entry.type} present` }] : [];
    });
  },
};

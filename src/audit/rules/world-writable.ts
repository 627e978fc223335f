// Rule world-writable: nothing is writable by every user, except /dev/null (char 1,3), which must be, and
// the syslog socket a manifest declares (writing to a socket is connecting to it: everyone logs).
// Declared writable paths get no exception: a service directory never needs to be open to everyone.
import type { AuditRule } from '../audit-rule.js';
import { describeMeta } from '../jail-view.js';
import { isDevNull } from './device-node.js';
import { isSyslogSocket } from '../../verify/verify-jail.js';

export const worldWritable: AuditRule = {
  id: 'world-writable',
  severity: 'critical',
  checks: 'anything writable by other users (sticky directories included), /dev/null and the declared syslog socket excepted',
  why: 'any user on the host or in the jail can rewrite or replace it',
  fix: 'chmod o-w it (re-run perms.sh); give the service its own directory owned by its user instead',
  check(jail) {
    return jail.entries
      .filter((entry) => entry.type !== 'symlink' && (entry.bits & 0o002) !== 0 && !isDevNull(entry))
      .filter((entry) => !(jail.manifest && isSyslogSocket(jail.manifest, entry)))
      .map((entry) => ({ path: entry.path, found: `${entry.type} ${describeMeta(entry)}` }));
  },
};

// Rule socket-or-fifo: a socket or FIFO is only expected below a declared writable path (the service
// makes it at run time) or as the syslog socket the manifest declares (`syslog: true`, made by the host's
// rsyslog); anywhere else it is a channel to a process outside the jail.
import type { AuditRule } from '../audit-rule.js';
import { describeMeta, isDeclaredWritable } from '../jail-view.js';
import { isSyslogSocket } from '../../verify/verify-jail.js';

export const socketOrFifo: AuditRule = {
  id: 'socket-or-fifo',
  severity: 'high',
  checks: 'a socket or FIFO not below a declared writable path (nor the declared syslog socket)',
  why: 'it can connect the jailed service to a daemon outside the jail (a hard-linked socket reaches the host daemon)',
  fix: 'remove it, or declare its directory writable in the recipe if the service creates it',
  check(jail) {
    return jail.entries
      .filter((entry) => (entry.type === 'socket' || entry.type === 'fifo') && !isDeclaredWritable(jail, entry.path))
      .filter((entry) => !(jail.manifest && isSyslogSocket(jail.manifest, entry)))
      .map((entry) => ({ path: entry.path, found: `${entry.type}, ${describeMeta(entry)}` }));
  },
};

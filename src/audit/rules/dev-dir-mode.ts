// Rule dev-dir-mode: the jail's /dev, when there is one, is d--x--x--x (0111): its one node can be
// opened by name but the directory can't be listed.
import type { AuditRule } from '../audit-rule.js';

export const devDirMode: AuditRule = {
  id: 'dev-dir-mode',
  severity: 'low',
  checks: '/dev that is not a directory of mode 0111 (d--x--x--x)',
  why: 'a listable /dev tells an intruder which devices exist; the jail needs only to open /dev/null by name',
  fix: 'chmod 0111 dev (re-run perms.sh)',
  check(jail) {
    const dev = jail.byPath.get('/dev');
    if (!dev) return [];
    if (dev.type !== 'dir') return [{ path: '/dev', found: `a ${dev.type}, not a directory` }];
    return dev.mode === '0111' ? [] : [{ path: '/dev', found: `mode ${dev.mode}` }];
  },
};

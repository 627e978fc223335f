// Rule drift: with a manifest, the jail is exactly what was built: every difference `mkjail verify`
// reports (missing, extra, content, mode, owner, target, device, load) is a finding.
import type { AuditRule } from '../audit-rule.js';
import { verifyJail } from '../../verify/verify-jail.js';

export const drift: AuditRule = {
  id: 'drift',
  severity: 'high',
  checks: 'with a manifest: any difference between the jail and its manifest (the checks of `mkjail verify`)',
  why: 'a jail that no longer matches what was built was changed by someone, and none of its other checks can be trusted',
  fix: 'find out who changed it, then rebuild with `mkjail build` (or re-run perms.sh for mode and owner drift)',
  check(jail) {
    if (!jail.manifest) return [];
    return verifyJail(jail.realRoot, jail.manifest).map((d) => ({
      path: d.path,
      found: `${d.kind}: expected ${d.expected}, found ${d.found}`,
    }));
  },
};

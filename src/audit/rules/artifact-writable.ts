// Rule artifact-writable: the files root trusts from outside the jail (the manifest, and for mkjail's
// output DIR its launcher, perms.sh and systemd unit) are owned by root and writable by root alone.
import { lstatSync } from 'node:fs';
import type { AuditRule, RuleHit } from '../audit-rule.js';
import { describeMeta } from '../jail-view.js';
import { errnoCode } from '../../errors.js';

export const artifactWritable: AuditRule = {
  id: 'artifact-writable',
  severity: 'critical',
  checks: 'the manifest, launcher, perms.sh or unit beside the jail not owned by root, writable by others, or a symlink',
  why: 'root runs (or trusts) it outside the jail: whoever can change it runs code as root on the host, or hides drift',
  fix: 'chown root:root it and chmod go-w it (rebuild with `mkjail build` to rewrite it)',
  check(jail) {
    return jail.artifacts.flatMap((path): RuleHit[] => {
      let stats;
      try {
        stats = lstatSync(path);
      } catch (error) {
        if (errnoCode(error) === 'ENOENT') return [];
        throw error;
      }
      if (stats.isSymbolicLink()) return [{ path, found: 'a symlink' }];
      if (stats.uid === 0 && (stats.mode & 0o022) === 0) return [];
      return [{ path, found: `file ${describeMeta(stats)}` }];
    });
  },
};

// Rule mount-point: nothing is mounted below the jail root (/proc, /sys, bind mounts, tmpfs), as this
// process's mount table (/proc/self/mountinfo) shows it. The jail root itself may be a mount point, and
// so may /dev/pts hold a devpts when the manifest declares /dev/pts (run.pts: terminal logins through
// sshd bind the host's there, DIR/sshd_config says how; each pts stays its owner's).
import type { Manifest } from '../../plan/manifest.js';
import type { AuditRule } from '../audit-rule.js';
import { readMounts } from '../read-mounts.js';

export const mountPoint: AuditRule = {
  id: 'mount-point',
  severity: 'critical',
  checks: 'a file system mounted below the jail root (/proc, /sys, bind mounts, tmpfs)',
  why: 'a mount exposes host objects inside the jail: /proc and /sys leak host processes and kernel knobs, bind mounts host files',
  fix: 'umount it and remove it from fstab or the unit; the jail must be a plain tree',
  check(jail) {
    const prefix = jail.realRoot === '/' ? '/' : `${jail.realRoot}/`;
    return readMounts()
      .filter((mount) => mount.path.startsWith(prefix) && mount.path !== jail.realRoot)
      .filter((mount) => !(mount.fsType === 'devpts' && mount.path === `${prefix}dev/pts` && declaresPts(jail.manifest)))
      .map((mount) => ({
        path: `/${mount.path.slice(prefix.length)}`,
        found: `${mount.fsType} mounted from ${mount.source}`,
      }));
  },
};

function declaresPts(manifest: Manifest | undefined): boolean {
  return manifest?.entries.some((e) => e.path === '/dev/pts' && e.type === 'dir') ?? false;
}

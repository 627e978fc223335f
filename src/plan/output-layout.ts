// The layout of a build's output directory DIR: the jail in DIR/root and, outside it, what root trusts
// (manifest, permissions script, launcher, unit). The build writes it, the audit and verify read it.
import { join } from 'node:path';

export interface OutputLayout {
  dir: string;
  root: string;
  manifest: string;
  perms: string;
  launcher: string;
  unit: (name: string) => string;
  /** The rsyslog drop-in that gives the jail a /dev/log (recipe `syslog: true`). */
  rsyslog: string;
  /** The sshd_config Match block for a tree-only jail sshd chroots into (recipe `sshd`). */
  sshd: string;
}

export function outputLayout(dir: string): OutputLayout {
  return {
    dir,
    root: join(dir, 'root'),
    manifest: join(dir, 'manifest.json'),
    perms: join(dir, 'perms.sh'),
    launcher: join(dir, 'launch'),
    unit: (name) => join(dir, `${name}.service`),
    rsyslog: join(dir, 'rsyslog.conf'),
    sshd: join(dir, 'sshd_config'),
  };
}

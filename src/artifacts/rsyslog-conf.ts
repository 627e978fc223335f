// DIR/rsyslog.conf: for a recipe with `syslog: true`, an rsyslog drop-in that makes the host's rsyslog
// listen on the jail's /dev/log (imuxsock, one more input), so that a program in the jail can log.
import { posix } from 'node:path';
import type { Manifest } from '../plan/manifest.js';
import type { OutputLayout } from '../plan/output-layout.js';

/** A string for rsyslog's RainerScript: double-quoted, with `\` and `"` escaped. */
function rainerString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The drop-in's text, or undefined when the recipe did not ask for syslog. */
export function renderRsyslogConf(manifest: Manifest, layout: OutputLayout): string | undefined {
  if (!manifest.syslog) return undefined;
  const socket = posix.join(layout.root, manifest.syslog.socket);
  const name = `mkjail-${manifest.recipe.name}.conf`;
  return [
    `# rsyslog drop-in written by mkjail for the jail ${manifest.recipe.name} at ${layout.root}:`,
    `# rsyslog makes the socket ${socket}, the jail's ${manifest.syslog.socket}, and reads what the jail logs there.`,
    '#',
    '# Install (once; Debian loads imuxsock in /etc/rsyslog.conf before it includes /etc/rsyslog.d):',
    `#   install -m 0644 ${layout.rsyslog} /etc/rsyslog.d/${name}`,
    '#   systemctl restart rsyslog',
    '# The socket lives in the jail tree: after a build that replaced the tree (it printed "built"),',
    '# restart rsyslog again so that it makes the socket in the new tree.',
    '# A config without imuxsock loaded needs, before this line: module(load="imuxsock")',
    `input(type="imuxsock" Socket=${rainerString(socket)} CreatePath="on")`,
    '',
  ].join('\n');
}

// DIR/sshd_config: for a tree-only jail whose recipe has `sshd`, the sshd_config Match block that puts
// the recipe's user into the jail at login (ChrootDirectory), with the command sshd forces, if any.
import type { Manifest } from '../plan/manifest.js';
import type { OutputLayout } from '../plan/output-layout.js';

/** sshd_config takes a path with spaces in double quotes; a `"` can't be written at all. */
function sshdWord(text: string): string {
  return /[\s#]/.test(text) ? `"${text}"` : text;
}

/** The Match block's text, or undefined when the recipe did not ask for one. */
export function renderSshdMatch(manifest: Manifest, layout: OutputLayout): string | undefined {
  if (!manifest.sshd || !manifest.identity) return undefined;
  const { user } = manifest.identity;
  const force = manifest.sshd.forceCommand;
  return [
    `# sshd_config drop-in written by mkjail for the jail ${manifest.recipe.name} at ${layout.root}:`,
    `# at login, sshd chroots ${user} into the jail${force ? ` and runs only: ${force}` : ''}.`,
    '#',
    `# Install: install -m 0644 ${layout.sshd} /etc/ssh/sshd_config.d/mkjail-${manifest.recipe.name}.conf`,
    '#          sshd -t && systemctl reload ssh',
    '# (Debian includes /etc/ssh/sshd_config.d/*.conf; a Match block in an included file ends with it.)',
    `Match User ${sshdWord(user)}`,
    `    ChrootDirectory ${sshdWord(layout.root)}`,
    ...(force ? [`    ForceCommand ${force}`, '    PermitTTY no'] : []),
    '    AllowTcpForwarding no',
    '    AllowAgentForwarding no',
    '    X11Forwarding no',
    '    PermitTunnel no',
    '',
  ].join('\n');
}

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
  const terminals = force ? [] : terminalLines(manifest, layout);
  return [
    `# sshd_config drop-in written by mkjail for the jail ${manifest.recipe.name} at ${layout.root}:`,
    `# at login, sshd chroots ${user} into the jail${force ? ` and runs only: ${force}` : ''}.`,
    '#',
    `# Install: install -m 0644 ${layout.sshd} /etc/ssh/sshd_config.d/mkjail-${manifest.recipe.name}.conf`,
    '#          sshd -t && systemctl reload ssh',
    '# (Debian includes /etc/ssh/sshd_config.d/*.conf; a Match block in an included file ends with it.)',
    ...terminals.filter((line) => line.startsWith('#')),
    `Match User ${sshdWord(user)}`,
    `    ChrootDirectory ${sshdWord(layout.root)}`,
    ...(force ? [`    ForceCommand ${force}`, '    PermitTTY no'] : terminals.filter((line) => !line.startsWith('#'))),
    '    AllowTcpForwarding no',
    '    AllowAgentForwarding no',
    '    X11Forwarding no',
    '    PermitTunnel no',
    '',
  ].join('\n');
}

/**
 * A login with a terminal (ssh -t): sshd opens the login's /dev/pts/N and /dev/tty after its chroot, so
 * the jail needs the host's devpts at its /dev/pts (a bind mount only root can make, said here) and a
 * declared /dev/tty. A jail without /dev/pts gets PermitTTY no: commands still run, without a terminal.
 */
function terminalLines(manifest: Manifest, layout: OutputLayout): string[] {
  const has = (path: string) => manifest.entries.some((e) => e.path === path);
  if (!has('/dev/pts') || !has('/dev/tty')) return ['    PermitTTY no'];
  const pts = `${layout.root}/dev/pts`;
  return [
    '#',
    `# Terminal logins (ssh -t): sshd opens the login's /dev/pts/N inside the jail. Bind the host's devpts`,
    `# there (each pts stays its owner's, mode 0620): mount --bind /dev/pts ${sshdWord(pts)}`,
    `#   or in /etc/fstab: /dev/pts ${pts.replaceAll(' ', '\\040')} none bind 0 0`,
  ];
}

// An interactive jail for a person (jailkit's main use): a shell and the everyday tools from one static
// busybox, a home directory the user owns, and the terminal descriptions full-screen tools read.
//
//   mkjail build recipes/busybox-shell.ts --out /srv/jails/shell-alice --set user=alice --set group=alice
//   mkjail run /srv/jails/shell-alice        # a login shell as alice, in the jail
//
// Variables:
//   user, group  the host account the shell runs as (default nobody/nogroup, only so that the recipe
//                builds anywhere); the jail's etc/passwd gives it home /home/USER and shell /bin/sh.
//
// What the jail holds, and why:
//   /usr/bin/busybox   static (no library, no loader); declared to the audit: it is the shell here.
//   applet links       /bin/sh and /usr/bin/NAME -> busybox for the tools below (links: root-owned).
//                      No privilege tool (su, mount, chroot, nsenter...) is linked, and busybox runs
//                      them only by name; they are there inside busybox, as in any busybox jail.
//   /home/USER         the one writable directory, the user's (0700).
//   /lib/terminfo      descriptions of the terminals tmux, screen, xterm and linux consoles announce.
import { defineRecipe } from 'mkjail';

/** The applets a shell user needs day to day; each is a link to busybox in /usr/bin. */
const APPLETS = [
  'ash', 'cat', 'clear', 'cp', 'cut', 'date', 'diff', 'du', 'echo', 'env', 'false', 'find', 'grep',
  'head', 'id', 'less', 'ls', 'mkdir', 'more', 'mv', 'printf', 'pwd', 'reset', 'rm', 'rmdir', 'sed',
  'sleep', 'sort', 'stty', 'tail', 'tar', 'touch', 'tr', 'true', 'tty', 'uniq', 'vi', 'wc', 'which',
];

const TERMINALS = ['/lib/terminfo/l/linux', '/lib/terminfo/s/screen', '/lib/terminfo/t/tmux', '/lib/terminfo/t/tmux-256color', '/lib/terminfo/v/vt100', '/lib/terminfo/x/xterm', '/lib/terminfo/x/xterm-256color'];

export default defineRecipe({
  vars: { user: 'nobody', group: 'nogroup' },
  recipe: (vars) => {
    const home = `/home/${vars.user}`;
    return {
      name: 'busybox-shell',
      binaries: ['/usr/bin/busybox'],
      links: { '/bin/sh': '/usr/bin/busybox', ...Object.fromEntries(APPLETS.map((applet) => [`/usr/bin/${applet}`, 'busybox'])) },
      files: TERMINALS,
      user: vars.user,
      group: vars.group,
      account: { home, shell: '/bin/sh' },
      writable: [{ path: home, owner: vars.user, group: vars.group, mode: '0700', why: "the user's home directory" }],
      allow: [{ rule: 'dangerous-binary' as const, path: '/usr/bin/busybox', why: 'this jail is a shell for a person: busybox is that shell and its tools' }],
      run: { argv: ['/bin/sh', '-l'], env: { HOME: home, TERM: 'xterm', USER: vars.user, SHELL: '/bin/sh' } },
      sshd: {},
    };
  },
});

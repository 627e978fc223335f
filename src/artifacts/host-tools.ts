// The host tools the launcher runs as root, each by its absolute path where Debian 12 puts it: `run.env`
// may set PATH for the program, and a tool looked up in it could be anyone's.

/** The launcher's PATH while it runs as root, and the jailed program's PATH: never the caller's. */
export const LAUNCHER_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

export const HOST_TOOLS = {
  env: '/usr/bin/env',
  setpriv: '/usr/bin/setpriv',
  chroot: '/usr/sbin/chroot',
  unshare: '/usr/bin/unshare',
  setsid: '/usr/bin/setsid',
  mount: '/usr/bin/mount',
  script: '/usr/bin/script',
  ip: '/usr/sbin/ip',
  bash: '/bin/bash',
} as const;

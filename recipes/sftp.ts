// An SFTP-only account: a tree-only jail that sshd chroots the user into at login (ChrootDirectory),
// where sshd's built-in internal-sftp serves files. The jail holds no program at all: internal-sftp is
// sshd's own code, running in the chrooted sshd process after it dropped to the user.
//
//   mkjail build recipes/sftp.ts --out /srv/jails/sftp-alice --set user=alice --set group=alice
//   install -m 0644 /srv/jails/sftp-alice/sshd_config /etc/ssh/sshd_config.d/mkjail-sftp.conf
//   install -m 0644 /srv/jails/sftp-alice/rsyslog.conf /etc/rsyslog.d/mkjail-sftp.conf
//   sshd -t && systemctl reload ssh && systemctl restart rsyslog
//
// Variables:
//   user   the host user who logs in (default nobody, only so that the recipe builds anywhere).
//   group  the user's group, for upload/ (default nogroup, nobody's).
//
// What the jail holds, and why:
//   /upload       the only writable directory, the user's (0700): sshd wants the jail root itself
//                 root-owned and unwritable, so the user writes below it. internal-sftp starts there (-d).
//   /etc/passwd,  the user's name for ls -l inside the jail (internal-sftp looks names up after the
//   /etc/group    chroot); home /upload, shell nologin: the account is for sftp only.
//   /dev/log      made by the host's rsyslog (syslog: true), so internal-sftp's log lines (-l INFO:
//                 sessions, opens, closes) reach the host from inside the chroot.
//   /dev/null     the default device.
import { defineRecipe } from 'mkjail';

export default defineRecipe({
  vars: { user: 'nobody', group: 'nogroup' },
  recipe: (vars) => ({
    name: 'sftp',
    user: vars.user,
    group: vars.group,
    account: { home: '/upload' },
    writable: [{ path: '/upload', owner: vars.user, group: vars.group, mode: '0700', why: 'the files the user uploads: the one place the user may write' }],
    syslog: true,
    sshd: { forceCommand: 'internal-sftp -d /upload -l INFO' },
  }),
});

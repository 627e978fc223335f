// BIND's named in a chroot jail, built from the host's own named.conf (followed: includes, zone files,
// directory, pid/session-key/lock files, key and managed-keys directories, secondaries, bindkeys-file).
//
//   mkjail build recipes/bind.ts --out /srv/jail/bind                      # self mode, stock config
//   mkjail build recipes/bind.ts --out DIR --set config=/etc/named/x.conf --set mode=wrapper
//
// Variables:
//   config  the named.conf to jail (default /etc/bind/named.conf); it is jailed at the same path.
//   mode    self (default): the host's named starts as root with `-t <jail> -u bind`, binds its ports,
//           loads every library, then chroots and drops root itself (the jail article's advice: "do the
//           chroot inside the daemon itself"). The jail holds config, zones, bind.keys, state directories and
//           /dev/null: no binary, no library.
//           wrapper: the jail holds named and its whole library closure; the launcher chroots and drops
//           to bind before named starts, so named never runs as root. It keeps CAP_NET_BIND_SERVICE
//           (ambient; every other capability is gone) so that it can listen on port 53, named's default.
//   low_ports  wrapper mode only: yes (default) keeps CAP_NET_BIND_SERVICE; no keeps no capability at
//           all, for configurations on unprivileged ports only (listen-on port 5353 { ... };).
//           Kept by default rather than guessed from named.conf: a listen-on without a port means 53,
//           and named's stock config listens there; say no when the config never listens below 1024.
//
// What named opens at run time beyond its libraries (strace, Debian 12, bind9 9.18), and where it is:
//   /dev/null                 opened O_RDWR at start: the jail's own /dev/null (devices: ['null']).
//   /run/named                pid file, session key (nsupdate -l), lock file: writable, from the
//                             follower (named's defaults when named.conf names none).
//   options.directory         working directory (managed keys, journals, *.nta): writable, from the follower.
//   /etc/localtime            self: read on the host before the chroot (glibc keeps it), not jailed.
//                             wrapper: jailed, or every log time is UTC.
//   openssl.cnf               OpenSSL reads it at initialisation: self: on the host, before the chroot;
//                             wrapper: jailed (/usr/lib/ssl/openssl.cnf, a link to /etc/ssl/openssl.cnf)
//                             so named's crypto defaults match the host's.
//   nsswitch.conf, passwd,    self: `-u bind` is looked up on the host before the chroot (and
//   group, libnss_*.so        libnss_systemd is dlopened there); nothing of it in the jail.
//                             wrapper: named runs without -u and looks up no user; the launcher passes
//                             numeric ids (chroot --userspec=+UID:+GID), so no NSS file is jailed.
//   /etc/bind/rndc.key        deliberately left out: a secret. Without a `controls` statement named looks
//                             for it in the jail (stat: ENOENT), still opens its default control channel on
//                             127.0.0.1#953, and refuses the host's rndc ("bad auth"). Stop named with
//                             SIGTERM (systemctl stop); write `controls { };` to have no channel at all.
//   /etc/bind/bind.keys       the root trust anchors named reads at every start when the file exists
//                             (bindkeys-file's default): jailed by the follower when the host has it.
//   /usr/share/GeoIP          absent on a stock host; named only probes it.
//   /proc/sys/net/ipv4/ip_local_port_range, /proc/self/task/*/comm: absent in the jail, named uses its
//                             defaults (no /proc is mounted in a jail).
//   /proc/sys/vm/overcommit_memory, /sys/kernel/mm/transparent_hugepage/enabled: libjemalloc reads them
//                             as it loads: self: on the host; wrapper: absent in the jail, it takes its defaults.
//   /dev/log                  openlog() connects at start: self: on the host; wrapper: fails in the jail,
//                             and named -g logs to stderr only.
import { defineRecipe } from 'mkjail';

const MODES = ['self', 'wrapper'] as const;
type Mode = (typeof MODES)[number];
const LOW_PORTS = ['yes', 'no'] as const;

function modeOf(value: string): Mode {
  const mode = MODES.find((m) => m === value);
  if (!mode) throw new Error(`variable mode is "${value}": use --set mode=self or --set mode=wrapper`);
  return mode;
}

/** The capabilities named keeps in wrapper mode: CAP_NET_BIND_SERVICE unless low_ports is no. */
function keptFor(value: string): Array<'net_bind_service'> {
  const answer = LOW_PORTS.find((a) => a === value);
  if (!answer) throw new Error(`variable low_ports is "${value}": use --set low_ports=yes or --set low_ports=no`);
  return answer === 'yes' ? ['net_bind_service'] : [];
}

export default defineRecipe({
  vars: { config: '/etc/bind/named.conf', mode: 'self', low_ports: 'yes' },
  recipe: (vars) => {
    const mode = modeOf(vars.mode);
    const capabilities = keptFor(vars.low_ports);
    const common = {
      name: 'bind',
      user: 'bind',
      group: 'bind',
      devices: ['null' as const],
      configs: [{ format: 'named.conf', path: vars.config }],
    };
    switch (mode) {
      case 'self':
        return {
          ...common,
          // -g: foreground, logs to stderr (the launcher and systemd supervise it; no /dev/log in the jail).
          // named's own start-up list (its linux_initialprivs), as the launcher's and the unit's bounding
          // set: bind port 53, chroot, drop to bind, read root-only keys, raise its file limit, chown its
          // files. named narrows it further after the drop.
          run: {
            argv: ['/usr/sbin/named', '-g', '-t', '{root}', '-u', 'bind', '-c', vars.config],
            chroot: 'self' as const,
            capabilities: ['net_bind_service' as const, 'sys_chroot' as const, 'setuid' as const, 'setgid' as const, 'dac_read_search' as const, 'sys_resource' as const, 'chown' as const],
          },
        };
      case 'wrapper':
        return {
          ...common,
          binaries: ['/usr/sbin/named'],
          files: ['/etc/localtime', '/usr/lib/ssl/openssl.cnf'],
          // No -u: the launcher has already dropped to bind, so named looks up no user.
          run: { argv: ['/usr/sbin/named', '-g', '-c', vars.config], chroot: 'launcher' as const, capabilities },
        };
      default: {
        const never: never = mode;
        throw new Error(`unknown mode ${String(never)}`);
      }
    }
  },
});

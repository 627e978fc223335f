// unbound, the validating resolver, jailed two ways:
//   launcher (default): the launcher chroots and drops to `unbound` before unbound starts, so it never
//           holds root (its own `chroot:` and `username:` are left empty). The jail holds unbound and its
//           whole library closure.
//   self:   the host's unbound starts as root in the jail directory, binds its port, reads its config,
//           then chroots (`chroot: "."`) and drops to `unbound` itself, with the bounding set the launcher
//           gives self-chrooting daemons. The jail holds no binary and no library: config, hints, anchor.
//           A reload (SIGHUP) does not work in this mode (the config's host path is not in the jail):
//           restart it instead.
//
//   mkjail build recipes/unbound.ts --out /srv/jail/unbound --set port=5353 --set local=/etc/unbound/local.conf
//   mkjail build recipes/unbound.ts --out /srv/jail/unbound --set mode=self
//
// Variables:
//   mode   launcher (default) or self, as above.
//   port   the port unbound answers on, on 127.0.0.1 (default 53: the launcher then keeps
//          CAP_NET_BIND_SERVICE, ambient; from 1024 on unbound keeps no capability).
//   local  a host file of `local-zone:` / `local-data:` lines (server clause) to include, or empty.
//
// The recipe writes unbound.conf itself (jailed at /etc/unbound/unbound.conf) and mkjail follows it:
// root hints from /usr/share/dns, the trust anchor seeded from Debian's /usr/share/dns/root.key into
// /var/lib/unbound, which is writable (unbound rewrites the anchor: RFC 5011), and (launcher mode) /run/unbound
// for the pid file. Logs go to stderr (the launcher or systemd keeps them). No remote control (its keys are
// secrets: the follower keeps any control/TLS key 0440 root:unbound when a config names one).
import { defineRecipe } from 'mkjail';

function portOf(value: string): number {
  const port = Number(value);
  if (!/^[0-9]+$/.test(value) || port < 1 || port > 65535) throw new Error(`variable port is "${value}": use --set port=N with N from 1 to 65535`);
  return port;
}

function localOf(value: string): string {
  if (value !== '' && (!value.startsWith('/') || /["\s]/.test(value))) throw new Error(`variable local is "${value}": use --set local=/absolute/file (no spaces or quotes)`);
  return value;
}

const MODES = ['launcher', 'self'] as const;
type Mode = (typeof MODES)[number];

function modeOf(value: string): Mode {
  const mode = MODES.find((m) => m === value);
  if (!mode) throw new Error(`variable mode is "${value}": use --set mode=launcher or --set mode=self`);
  return mode;
}

/**
 * Self mode: the launcher starts unbound as root in the jail directory (it cds there); \`chroot: "."\`
 * makes unbound chroot into it after it read its config and bound its port, then drop to \`username\`.
 * No \`directory\` (unbound would chdir there first, and "." would then be another directory) and no pid
 * file (unbound writes it before its chroot, on the host).
 */
function chrootLines(mode: Mode): string {
  return mode === 'self'
    ? '    username: "unbound"\n    chroot: "."\n    directory: ""\n    pidfile: ""\n'
    : '    username: ""\n    chroot: ""\n    directory: "/etc/unbound"\n    pidfile: "/run/unbound/unbound.pid"\n';
}

function unboundConf(port: number, local: string, mode: Mode): string {
  return `# Written by mkjail's recipes/unbound.ts (mode ${mode}), in the foreground.
server:
    interface: 127.0.0.1
    port: ${port}
    do-daemonize: no
${chrootLines(mode)}    use-syslog: no
    logfile: ""
    root-hints: "/usr/share/dns/root.hints"
    auto-trust-anchor-file: "/var/lib/unbound/root.key"
${local ? `    include: "${local}"\n` : ''}remote-control:
    control-enable: no
`;
}

export default defineRecipe({
  vars: { port: '53', local: '', mode: 'launcher' },
  recipe: (vars) => {
    const port = portOf(vars.port);
    const mode = modeOf(vars.mode);
    const config = '/etc/unbound/unbound.conf';
    return {
      name: 'unbound',
      // Self mode: unbound loads its libraries, /etc/localtime and openssl.cnf on the host before its chroot.
      binaries: mode === 'launcher' ? ['/usr/sbin/unbound'] : [],
      files: [...(mode === 'launcher' ? ['/etc/localtime', '/usr/lib/ssl/openssl.cnf'] : []), { from: '/usr/share/dns/root.key', to: '/var/lib/unbound/root.key' }],
      generated: [{ path: config, text: unboundConf(port, localOf(vars.local), mode) }],
      configs: [{ format: 'unbound.conf', path: config }],
      user: 'unbound',
      group: 'unbound',
      writable: [{ path: '/var/lib/unbound/root.key', owner: 'unbound', group: 'unbound', mode: '0600', why: 'the trust anchor, seeded from /usr/share/dns/root.key; unbound keeps it up to date (RFC 5011)' }],
      run:
        mode === 'self'
          ? // The launcher's bounding set for a self-chrooting daemon is exactly this list: unbound chroots and
            // drops to unbound itself (and binds a port below 1024 first).
            { argv: ['/usr/sbin/unbound', '-d', '-c', `{root}${config}`], chroot: 'self' as const, capabilities: ['sys_chroot' as const, 'setuid' as const, 'setgid' as const, ...(port < 1024 ? ['net_bind_service' as const] : [])] }
          : { argv: ['/usr/sbin/unbound', '-d', '-c', config], chroot: 'launcher' as const, capabilities: port < 1024 ? ['net_bind_service' as const] : [] },
    };
  },
});

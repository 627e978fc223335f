// unbound, the validating resolver, in launcher mode: the launcher chroots and drops to `unbound` before
// unbound starts, so it never holds root (its own `chroot:` and `username:` are left empty).
//
//   mkjail build recipes/unbound.ts --out /srv/jail/unbound --set port=5353 --set local=/etc/unbound/local.conf
//
// Variables:
//   port   the port unbound answers on, on 127.0.0.1 (default 53: the launcher then keeps
//          CAP_NET_BIND_SERVICE, ambient; from 1024 on unbound keeps no capability).
//   local  a host file of `local-zone:` / `local-data:` lines (server clause) to include, or empty.
//
// The recipe writes unbound.conf itself (jailed at /etc/unbound/unbound.conf) and mkjail follows it:
// root hints from /usr/share/dns, the trust anchor seeded from Debian's /usr/share/dns/root.key into
// /var/lib/unbound, which is writable (unbound rewrites the anchor: RFC 5011), and /run/unbound for the
// pid file. Logs go to stderr (the launcher or systemd keeps them). No remote control (its keys are
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

function unboundConf(port: number, local: string): string {
  return `# Written by mkjail's recipes/unbound.ts: run as the jail's user, in the foreground.
server:
    interface: 127.0.0.1
    port: ${port}
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "/etc/unbound"
    pidfile: "/run/unbound/unbound.pid"
    use-syslog: no
    logfile: ""
    root-hints: "/usr/share/dns/root.hints"
    auto-trust-anchor-file: "/var/lib/unbound/root.key"
${local ? `    include: "${local}"\n` : ''}remote-control:
    control-enable: no
`;
}

export default defineRecipe({
  vars: { port: '53', local: '' },
  recipe: (vars) => {
    const port = portOf(vars.port);
    const config = '/etc/unbound/unbound.conf';
    return {
      name: 'unbound',
      binaries: ['/usr/sbin/unbound'],
      files: ['/etc/localtime', '/usr/lib/ssl/openssl.cnf', { from: '/usr/share/dns/root.key', to: '/var/lib/unbound/root.key' }],
      generated: [{ path: config, text: unboundConf(port, localOf(vars.local)) }],
      configs: [{ format: 'unbound.conf', path: config }],
      user: 'unbound',
      group: 'unbound',
      writable: [{ path: '/var/lib/unbound/root.key', owner: 'unbound', group: 'unbound', mode: '0600', why: 'the trust anchor, seeded from /usr/share/dns/root.key; unbound keeps it up to date (RFC 5011)' }],
      run: {
        argv: ['/usr/sbin/unbound', '-d', '-c', config],
        chroot: 'launcher' as const,
        capabilities: port < 1024 ? ['net_bind_service' as const] : [],
      },
    };
  },
});

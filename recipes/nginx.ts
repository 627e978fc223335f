// nginx serving a static site from the jail, as www-data from the first instruction on: the launcher
// chroots and drops to www-data before nginx starts, so the master and its worker never hold root
// (nginx ignores its `user` directive when not started as root, and this config has none).
//
//   mkjail build recipes/nginx.ts --out /srv/jail/nginx                          # /var/www/html on 8080
//   mkjail build recipes/nginx.ts --out DIR --set site=/srv/www/example --set port=8443
//
// Variables:
//   site   the directory served (default /var/www/html, Debian's); copied whole, at the same path,
//          read-only. A symlink in it is kept as a symlink, and nginx is told not to follow any
//          (`disable_symlinks on`): the jail serves only regular files of the site.
//   port   the TCP port nginx listens on, on every address (default 8080). Below 1024 the launcher
//          keeps CAP_NET_BIND_SERVICE (ambient) for it; at 1024 and above nginx keeps no capability.
//
// The recipe writes nginx.conf itself (jailed at /etc/nginx/nginx.conf) and mkjail follows it like any
// other: mime.types comes from the host's /etc/nginx, and the only writable paths are the ones the
// config names: /run/nginx (pid), /var/log/nginx (access and error logs) and nginx's compiled-in
// temporary directories /var/lib/nginx/{body,proxy,fastcgi,uwsgi,scgi}, each owned by www-data, 0700.
//
// What nginx opens at run time beyond its libraries (strace, Debian 12, nginx 1.22 as www-data):
//   /etc/localtime                 log times in local time: jailed.
//   /usr/lib/ssl/openssl.cnf       OpenSSL reads it at initialisation: jailed (a link to /etc/ssl/openssl.cnf).
//   /sys/devices/system/cpu/online only for `worker_processes auto`; this config says 1.
//   nginx.conf, mime.types         followed by mkjail; temp paths created with mkdir at start.
//   no passwd, group or NSS lookup: nginx looks up a user only when it starts as root.
import { defineRecipe } from 'mkjail';

function portOf(value: string): number {
  const port = Number(value);
  if (!/^[0-9]+$/.test(value) || port < 1 || port > 65535) throw new Error(`variable port is "${value}": use --set port=N with N from 1 to 65535`);
  return port;
}

function siteOf(value: string): string {
  if (!value.startsWith('/') || /[\s;{}"'$\\]/.test(value)) {
    throw new Error(`variable site is "${value}": use --set site=/absolute/dir (no spaces, quotes, ";", "{", "}", "$" or "\\")`);
  }
  return value;
}

/** The nginx.conf the jail runs: every path it names is one mkjail follows into the jail. */
function nginxConf(site: string, port: number): string {
  return `# Written by mkjail's recipes/nginx.ts: a static site, as the jail's user, in the foreground.
daemon off;
worker_processes 1;
pid /run/nginx/nginx.pid;
error_log /var/log/nginx/error.log;

events {
    worker_connections 256;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /var/log/nginx/access.log;
    sendfile on;
    server_tokens off;
    # Serve regular files only: a symlink in the site (to a file or up the tree) is refused.
    disable_symlinks on;

    server {
        listen ${port};
        listen [::]:${port};
        root ${site};
        index index.html index.htm index.nginx-debian.html;
        location / {
            try_files $uri $uri/ =404;
        }
    }
}
`;
}

export default defineRecipe({
  vars: { site: '/var/www/html', port: '8080' },
  recipe: (vars) => {
    const port = portOf(vars.port);
    const config = '/etc/nginx/nginx.conf';
    return {
      name: 'nginx',
      binaries: ['/usr/sbin/nginx'],
      files: ['/etc/localtime', '/usr/lib/ssl/openssl.cnf'],
      generated: [{ path: config, text: nginxConf(siteOf(vars.site), port) }],
      configs: [{ format: 'nginx.conf', path: config }],
      user: 'www-data',
      group: 'www-data',
      run: {
        argv: ['/usr/sbin/nginx', '-c', config],
        chroot: 'launcher' as const,
        capabilities: port < 1024 ? ['net_bind_service' as const] : [],
      },
    };
  },
});

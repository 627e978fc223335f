// The nginx.conf follower, run on config trees written to a scratch root, and on the configs Debian's
// nginx ships (/etc/nginx copied as it is into a scratch root, with Debian's own snippets switched on).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MkjailError } from '../../../src/errors.js';
import { findConfigFollower } from '../../../src/resolve/config-followers/index.js';
import { globInRoot } from '../../../src/fs/glob-in-root.js';
import { NGINX_DEFAULTS, followNginxConf } from '../../../src/resolve/config-followers/nginx-conf.js';
import { prerequisites } from '../../helpers/prereq.js';

let root: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function errorOf(run: () => unknown): { message: string; hint: string | undefined } {
  try {
    run();
  } catch (error) {
    if (error instanceof MkjailError) return { message: error.message, hint: error.hint };
    throw error;
  }
  throw new Error('expected a MkjailError');
}

const paths = (list: Array<{ path: string }>) => list.map((f) => f.path);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mkjail-nginx-conf-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('the nginx.conf follower', () => {
  it('is registered under the format name recipes use', () => {
    expect(findConfigFollower('nginx.conf')?.format).toBe('nginx.conf');
  });

  it('follows every kind of path, naming the file and line of each', () => {
    write('/etc/nginx/nginx.conf', [
      'load_module modules/ngx_x.so;', // 1: relative to the prefix
      'pid /run/nginx/nginx.pid;',
      'error_log /var/log/nginx/error.log warn;',
      'events { worker_connections 64; }',
      'http {', // 5
      '    include mime.types;', // relative to the config's directory
      '    access_log /var/log/web/access.log combined;',
      '    client_body_temp_path /var/tmp/nginx/body 1 2;',
      '    server {',
      '        listen 8443 ssl;', // 10
      "        ssl_certificate 'certs/site.pem';",
      '        ssl_certificate_key /etc/nginx/private/site.key;',
      '        root /srv/www;',
      '        location /docs/ { alias /srv/docs/; auth_basic_user_file htpasswd; }',
      '        location /x { error_log logs/x.log; }', // 15
      '    }',
      '}',
      '',
    ].join('\n'));
    write('/etc/nginx/mime.types', 'types { text/html html; }\n');
    expect(followNginxConf(root, '/etc/nginx/nginx.conf')).toEqual({
      files: [
        { path: '/etc/nginx/nginx.conf', by: '/etc/nginx/nginx.conf', what: 'nginx.conf: the configuration nginx reads (-c)' },
        { path: '/etc/nginx/mime.types', by: '/etc/nginx/nginx.conf', what: 'include mime.types, line 6' },
        { path: '/usr/share/nginx/modules/ngx_x.so', by: '/etc/nginx/nginx.conf', what: 'load_module, line 1: nginx loads the module at start', loaded: true },
        { path: '/etc/nginx/certs/site.pem', by: '/etc/nginx/nginx.conf', what: 'ssl_certificate, line 11' },
        { path: '/etc/nginx/private/site.key', by: '/etc/nginx/nginx.conf', what: 'ssl_certificate_key, line 12: a secret, readable only by root and the service group', private: true },
        { path: '/srv/www', by: '/etc/nginx/nginx.conf', what: 'root, line 13: the directory nginx serves files from' },
        { path: '/srv/docs', by: '/etc/nginx/nginx.conf', what: 'alias, line 14: the directory nginx serves files from' },
        { path: '/etc/nginx/htpasswd', by: '/etc/nginx/nginx.conf', what: 'auth_basic_user_file, line 14: a secret, readable only by root and the service group', private: true },
      ],
      writable: [
        { path: '/run/nginx', by: '/etc/nginx/nginx.conf', what: 'pid, line 2: nginx writes its pid file there' },
        { path: '/var/log/nginx', by: '/etc/nginx/nginx.conf', what: 'error_log, line 3: nginx appends its error log there' },
        { path: '/var/log/web', by: '/etc/nginx/nginx.conf', what: 'access_log, line 7: nginx appends its access log there' },
        { path: '/var/tmp/nginx/body', by: '/etc/nginx/nginx.conf', what: 'client_body_temp_path, line 8: nginx creates it and writes temporary files there' },
        { path: '/usr/share/nginx/logs', by: '/etc/nginx/nginx.conf', what: 'error_log, line 15: nginx appends its error log there' },
        ...(['proxy_temp_path', 'fastcgi_temp_path', 'uwsgi_temp_path', 'scgi_temp_path'] as const).map((name) => ({
          path: NGINX_DEFAULTS.tempPaths[name],
          by: '/etc/nginx/nginx.conf',
          what: `${name} (compiled-in default ${NGINX_DEFAULTS.tempPaths[name]}, for the http block at line 5): nginx creates it and writes request bodies and buffered responses there`,
        })),
      ],
    });
  });

  it("adds nginx's compiled-in pid file, access log and temp paths when the config names none", () => {
    write('/etc/nginx/nginx.conf', 'events {}\nhttp {\n server { listen 8080; root /srv/www; }\n}\n');
    const result = followNginxConf(root, '/etc/nginx/nginx.conf');
    expect(paths(result.writable)).toEqual(['/run', '/var/lib/nginx/body', '/var/lib/nginx/proxy', '/var/lib/nginx/fastcgi', '/var/lib/nginx/uwsgi', '/var/lib/nginx/scgi', '/var/log/nginx']);
    expect(result.writable[0]?.what).toBe('pid (compiled-in default /run/nginx.pid): nginx writes its pid file there');
  });

  it('adds no temp path and no access log for a config without an http block (a mail or stream proxy)', () => {
    write('/etc/nginx/nginx.conf', 'pid /run/nginx/nginx.pid;\nevents {}\nstream { server { listen 9000; proxy_pass 127.0.0.1:22; } }\n');
    expect(followNginxConf(root, '/etc/nginx/nginx.conf').writable.map((w) => w.path)).toEqual(['/run/nginx']);
  });

  it('leaves out logs nginx does not write to a file (stderr, syslog, off, /dev/null)', () => {
    write('/etc/nginx/nginx.conf', 'pid /run/n/p;\nerror_log stderr;\nerror_log syslog:server=unix:/dev/log;\nevents {}\nhttp { access_log off; access_log /dev/null; client_body_temp_path /t/b; proxy_temp_path /t/p; fastcgi_temp_path /t/f; uwsgi_temp_path /t/u; scgi_temp_path /t/s; }\n');
    expect(paths(followNginxConf(root, '/etc/nginx/nginx.conf').writable)).toEqual(['/run/n', '/t/b', '/t/p', '/t/f', '/t/u', '/t/s']);
  });

  it('follows include patterns as glob(3) does: sorted, no dot files, nothing when nothing matches', () => {
    write('/etc/nginx/nginx.conf', 'include /etc/nginx/conf.d/*.conf;\ninclude /etc/nginx/none/*.conf;\ninclude /etc/nginx/site?/[ab]*;\n');
    write('/etc/nginx/conf.d/b.conf', '');
    write('/etc/nginx/conf.d/a.conf', '');
    write('/etc/nginx/conf.d/.hidden.conf', '');
    write('/etc/nginx/conf.d/c.conf.off', '');
    write('/etc/nginx/sites/alpha', '');
    write('/etc/nginx/sites/gamma', '');
    symlinkSync('/etc/nginx/sites/alpha', join(root, 'etc/nginx/sites/beta'));
    expect(paths(followNginxConf(root, '/etc/nginx/nginx.conf').files)).toEqual([
      '/etc/nginx/nginx.conf',
      '/etc/nginx/conf.d/a.conf',
      '/etc/nginx/conf.d/b.conf',
      '/etc/nginx/sites/alpha',
      '/etc/nginx/sites/beta',
    ]);
    expect(globInRoot(root, '/etc/nginx/*/a*')).toEqual(['/etc/nginx/conf.d/a.conf', '/etc/nginx/sites/alpha']);
  });

  it('reads a config the recipe generates from its text, and what that text includes from the root', () => {
    write('/etc/nginx/mime.types', 'types {}\n');
    const result = followNginxConf(root, '/etc/nginx/nginx.conf', 'pid /run/nginx/pid;\nhttp { include mime.types; access_log off; root /srv/site; }\n');
    expect(paths(result.files)).toEqual(['/etc/nginx/nginx.conf', '/etc/nginx/mime.types', '/srv/site']);
  });

  it('warns about paths built from variables instead of guessing', () => {
    write('/etc/nginx/nginx.conf', 'pid /run/n/p;\nhttp {\n access_log /var/log/$host.log;\n server { root /srv/$host; ssl_certificate /etc/ssl/$ssl_server_name.pem; ssl_certificate_key data:$key; }\n}\n');
    const result = followNginxConf(root, '/etc/nginx/nginx.conf');
    expect(paths(result.files)).toEqual(['/etc/nginx/nginx.conf']);
    expect(result.warnings).toEqual([
      '/etc/nginx/nginx.conf:3: access_log /var/log/$host.log is built from variables: its directory must be writable; declare it in the recipe\'s writable',
      "/etc/nginx/nginx.conf:4: root /srv/$host is built from variables, so mkjail can't tell which directory nginx serves: add it to the recipe's files",
      "/etc/nginx/nginx.conf:4: ssl_certificate /etc/ssl/$ssl_server_name.pem is built from variables (nginx loads it per request): add the files it can name to the recipe's files",
    ]);
  });

  it('keeps quoted words, escapes and ${var} braces apart from blocks', () => {
    write('/etc/nginx/nginx.conf', 'pid "/run/my nginx/p";\nhttp { access_log off; log_format x \'$a ${b} ; { }\'; server { set $x ${host}; root /srv/a\\;b; } }\n');
    const result = followNginxConf(root, '/etc/nginx/nginx.conf');
    expect(paths(result.writable)[0]).toBe('/run/my nginx');
    expect(paths(result.files)).toEqual(['/etc/nginx/nginx.conf', '/srv/a;b']);
  });

  it.each([
    ['an unclosed block', 'http {\n server {\n', "Can't parse nginx.conf at /etc/nginx/nginx.conf:2: a \"{\" is never closed"],
    ['a missing ;', 'pid /run/p\n', 'Can\'t parse nginx.conf at /etc/nginx/nginx.conf:1: "pid /run/p" is not ended by ";"'],
    ['a stray }', 'events {}\n}\n', "Can't parse nginx.conf at /etc/nginx/nginx.conf:2: unexpected \"}\""],
    ['an unclosed string', 'pid "/run/p;\n\n', "Can't parse nginx.conf at /etc/nginx/nginx.conf:1: a \" string is never closed"],
    ['a writable root', 'pid /nginx.pid;\n', "Can't parse nginx.conf at /etc/nginx/nginx.conf: pid, line 1: nginx writes its pid file there would make / writable"],
  ])('refuses %s with the file and line', (_name, text, message) => {
    write('/etc/nginx/nginx.conf', text);
    expect(errorOf(() => followNginxConf(root, '/etc/nginx/nginx.conf')).message).toBe(message);
  });

  it('refuses an include loop and a missing plain include, naming who included it', () => {
    write('/etc/nginx/nginx.conf', 'include a.conf;\n');
    write('/etc/nginx/a.conf', 'include /etc/nginx/nginx.conf;\n');
    expect(errorOf(() => followNginxConf(root, '/etc/nginx/nginx.conf')).message).toBe(
      "Can't parse nginx.conf at /etc/nginx/nginx.conf: include loop (/etc/nginx/nginx.conf -> /etc/nginx/a.conf -> /etc/nginx/nginx.conf)",
    );
    write('/etc/nginx/nginx.conf', 'include missing.conf;\n');
    expect(errorOf(() => followNginxConf(root, '/etc/nginx/nginx.conf')).message).toBe(
      "Can't read nginx.conf at /etc/nginx/missing.conf: no such file (included by /etc/nginx/nginx.conf)",
    );
  });
});

const haveNginx = prerequisites({ commands: ['nginx'], packages: 'nginx-light' });

/** /etc/nginx as the host has it, with the module snippets its modules-enabled links point at. */
function copyDebianConfigs(): void {
  cpSync('/etc/nginx', join(root, 'etc/nginx'), { recursive: true, verbatimSymlinks: true });
  if (existsSync('/usr/share/nginx/modules-available')) {
    cpSync('/usr/share/nginx/modules-available', join(root, 'usr/share/nginx/modules-available'), { recursive: true, verbatimSymlinks: true });
  }
}

describe.skipIf(!haveNginx)("the nginx.conf follower on Debian's own nginx configs", () => {
  it("knows the paths Debian's nginx was built with (nginx -V)", async () => {
    const { stderr } = await execa('nginx', ['-V']);
    const option = (name: string) => new RegExp(`--${name}=(\\S+)`).exec(stderr)?.[1];
    expect({
      prefix: option('prefix'),
      pid: option('pid-path'),
      accessLog: option('http-log-path'),
      tempPaths: {
        client_body_temp_path: option('http-client-body-temp-path'),
        proxy_temp_path: option('http-proxy-temp-path'),
        fastcgi_temp_path: option('http-fastcgi-temp-path'),
        uwsgi_temp_path: option('http-uwsgi-temp-path'),
        scgi_temp_path: option('http-scgi-temp-path'),
      },
    }).toEqual(NGINX_DEFAULTS);
    // The compiled-in error log is stderr, so nginx opens no log file before it reads its config.
    expect(option('error-log-path')).toBe('stderr');
  });

  it('follows /etc/nginx/nginx.conf as Debian ships it: modules, mime types, the default site and its root', () => {
    copyDebianConfigs();
    const result = followNginxConf(root, '/etc/nginx/nginx.conf');
    const modules = readdirSync(join(root, 'etc/nginx/modules-enabled')).filter((n) => n.endsWith('.conf')).sort();
    expect(paths(result.files)).toEqual(expect.arrayContaining([
      '/etc/nginx/nginx.conf',
      ...modules.map((n) => `/etc/nginx/modules-enabled/${n}`),
      '/etc/nginx/mime.types',
      '/etc/nginx/sites-enabled/default',
      '/var/www/html',
    ]));
    expect(result.files.find((f) => f.path === '/var/www/html')).toEqual({ path: '/var/www/html', by: '/etc/nginx/sites-enabled/default', what: expect.stringMatching(/^root, line \d+: /) });
    expect(paths(result.writable)).toEqual(['/run', '/var/log/nginx', ...Object.values(NGINX_DEFAULTS.tempPaths)]);
    expect(result.warnings).toBeUndefined();
  });

  it("follows Debian's snakeoil and fastcgi-php snippets once the default site switches them on", () => {
    copyDebianConfigs();
    const site = readFileSync('/etc/nginx/sites-available/default', 'utf8');
    const switchedOn = site.replace(/#\s*include snippets\/snakeoil.conf;/, 'include snippets/snakeoil.conf;').replace(/#\s*include snippets\/fastcgi-php.conf;/, 'include snippets/fastcgi-php.conf;');
    expect(switchedOn).not.toBe(site);
    writeFileSync(join(root, 'etc/nginx/sites-available/default'), switchedOn);
    const result = followNginxConf(root, '/etc/nginx/nginx.conf');
    expect(result.files.filter((f) => f.by.includes('snippets') || f.path.includes('snippets'))).toEqual(expect.arrayContaining([
      { path: '/etc/nginx/snippets/snakeoil.conf', by: '/etc/nginx/sites-enabled/default', what: expect.stringMatching(/^include snippets\/snakeoil.conf, line \d+$/) },
      { path: '/etc/nginx/snippets/fastcgi-php.conf', by: '/etc/nginx/sites-enabled/default', what: expect.stringMatching(/^include snippets\/fastcgi-php.conf, line \d+$/) },
      { path: '/etc/nginx/fastcgi.conf', by: '/etc/nginx/snippets/fastcgi-php.conf', what: expect.stringMatching(/^include fastcgi.conf, line \d+$/) },
      { path: '/etc/ssl/certs/ssl-cert-snakeoil.pem', by: '/etc/nginx/snippets/snakeoil.conf', what: 'ssl_certificate, line 4' },
      {
        path: '/etc/ssl/private/ssl-cert-snakeoil.key',
        by: '/etc/nginx/snippets/snakeoil.conf',
        what: 'ssl_certificate_key, line 5: a secret, readable only by root and the service group',
        private: true,
      },
    ]));
  });
});

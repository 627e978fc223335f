// A recipe that writes its own nginx.conf (`generated`) and has mkjail follow it: the module it loads comes
// in with its ELF closure, TLS keys are kept private (0440 root:www-data, even when the host lets all read
// one), and nginx itself, as www-data inside the jail, accepts the result (`nginx -t` loads the module,
// reads the key and opens the logs).
import { chmodSync, chownSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { freeTcpPort } from '../helpers/free-port.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const MODULE = '/usr/lib/nginx/modules/ngx_http_echo_module.so';
const ok = prerequisites({ root: true, commands: ['nginx', 'openssl', 'getent', 'mknod'], packages: 'nginx-light openssl' });

function recipeText(scratch: string, ports: [number, number]): string {
  const conf = `load_module ${MODULE};
pid /run/nginx/nginx.pid;
error_log /var/log/nginx/error.log;
events { worker_connections 16; }
http {
    access_log off;
    server {
        listen 127.0.0.1:${ports[0]};
        ssl_certificate ${scratch}/tls/open.pem;
        ssl_certificate_key ${scratch}/tls/open.key;
        root ${scratch}/site;
        location /echo { echo "hello from a module"; }
    }
    server {
        listen 127.0.0.1:${ports[1]};
        ssl_certificate ${scratch}/tls/open.pem;
        ssl_certificate_key ${scratch}/tls/private.key;
    }
}
`;
  return `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'nginx-conf-test',
  binaries: ['/usr/sbin/nginx'],
  user: 'www-data',
  group: 'www-data',
  generated: [{ path: '/etc/nginx/nginx.conf', text: ${JSON.stringify(conf)} }],
  configs: [{ format: 'nginx.conf', path: '/etc/nginx/nginx.conf' }],
  run: { argv: ['/usr/sbin/nginx', '-c', '/etc/nginx/nginx.conf'] },
});
`;
}

describe.skipIf(!ok)('a recipe-generated nginx.conf, followed', () => {
  const scratch = ok ? makeScratch('nginx-conf-') : '';
  let jail: BuiltJail;

  beforeAll(async () => {
    await execa('mkdir', ['-p', join(scratch, 'tls'), join(scratch, 'site')]);
    writeFileSync(join(scratch, 'site/index.html'), 'site\n');
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', join(scratch, 'tls/open.key'), '-out', join(scratch, 'tls/open.pem')]);
    chmodSync(join(scratch, 'tls/open.key'), 0o644); // carelessly readable by all on the host
    writeFileSync(join(scratch, 'tls/private.key'), readFileSync(join(scratch, 'tls/open.key')));
    chownSync(join(scratch, 'tls/private.key'), 0, 33);
    chmodSync(join(scratch, 'tls/private.key'), 0o640); // root:www-data, as a careful host has it
    const first = await freeTcpPort();
    jail = await buildJail(recipeText(scratch, [first, await freeTcpPort([first])]));
  });
  afterAll(() => {
    jail?.cleanup();
    removeScratch(scratch);
  });

  const entry = (path: string) => jail.manifest.entries.find((e) => e.path === path);

  it('writes the generated config root-owned and readable, with the recipe field as its reason', () => {
    const conf = entry('/etc/nginx/nginx.conf');
    expect(conf && [conf.type, conf.mode, conf.uid, conf.gid, conf.reasons]).toEqual(['file', '0444', 0, 0, [{ kind: 'recipe', field: 'generated.0' }]]);
    expect(readFileSync(join(jail.root, 'etc/nginx/nginx.conf'), 'utf8')).toContain(`load_module ${MODULE};`);
  });

  it('brings the loaded module in with the file and line that load it, and its libraries', () => {
    expect(entry(MODULE)?.reasons).toEqual(
      expect.arrayContaining([{ kind: 'config', by: '/etc/nginx/nginx.conf', what: 'load_module, line 1: nginx loads the module at start' }]),
    );
    expect(entry('/usr/lib/x86_64-linux-gnu/libc.so.6')?.reasons).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'needed', by: MODULE })]));
  });

  it('keeps both keys 0440 root:www-data, the host-readable one included; the certificate stays 0444', () => {
    const modes = ['tls/open.key', 'tls/private.key', 'tls/open.pem'].map((name) => {
      const found = entry(join(scratch, name));
      return found && [found.mode, found.uid, found.gid];
    });
    expect(modes).toEqual([
      ['0440', 0, 33],
      ['0440', 0, 33],
      ['0444', 0, 0],
    ]);
  });

  it('makes only the pid and log directories writable (access_log off, no http temp paths set: the defaults)', () => {
    expect(jail.manifest.writable.map((w) => [w.path, w.owner, w.mode])).toEqual([
      ['/run/nginx', 'www-data', '0700'],
      ['/var/log/nginx', 'www-data', '0700'],
      ...['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => [`/var/lib/nginx/${name}`, 'www-data', '0700']),
    ]);
  });

  it('is accepted by nginx -t run as www-data inside the jail: module loaded, keys read', async () => {
    const test = await execa('/usr/sbin/chroot', ['--userspec=33:33', '--groups=33', jail.root, '/usr/sbin/nginx', '-t', '-c', '/etc/nginx/nginx.conf'], { reject: false, env: {}, extendEnv: false });
    expect({ exitCode: test.exitCode, stderr: test.stderr }).toEqual({ exitCode: 0, stderr: expect.stringContaining('test is successful') });
  });
});

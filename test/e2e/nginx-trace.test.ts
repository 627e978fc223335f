// nginx traced on the host with a test config (Debian's nginx-light, as root with `user www-data`, on a
// free high port): the recipe that only names nginx, its config and its site lacks the directories
// nginx writes, and trace --recipe says so: its compiled-in temp directories under /var/lib/nginx (which
// nginx mkdir()s and chown()s to www-data), and the directories of its pid file and logs.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkjail } from '../helpers/cli.js';
import { freeTcpPort } from '../helpers/free-port.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['nginx', 'strace', 'getent'], packages: 'nginx-light strace' });

describe.skipIf(!ok)('mkjail trace --recipe on nginx', () => {
  let scratch: string;
  let config: string;
  let recipe: string;
  // nginx, run on the host, creates its temp directories when they are missing: the test removes those it made.
  const temps = ['body', 'fastcgi', 'proxy', 'scgi', 'uwsgi'].map((name) => `/var/lib/nginx/${name}`);
  const madeByTest = temps.filter((path) => !existsSync(path));
  beforeAll(async () => {
    scratch = makeScratch('nginx-trace-');
    for (const dir of ['run', 'log', 'site']) mkdirSync(join(scratch, dir), { mode: 0o755 });
    writeFileSync(join(scratch, 'site', 'index.html'), 'traced\n');
    config = join(scratch, 'nginx.conf');
    writeFileSync(config, `user www-data;
daemon off;
worker_processes 1;
pid ${scratch}/run/nginx.pid;
error_log ${scratch}/log/error.log;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log ${scratch}/log/access.log;
    server { listen 127.0.0.1:${await freeTcpPort()}; root ${scratch}/site; }
}
`);
    recipe = join(scratch, 'nginx-bare.ts');
    writeFileSync(recipe, `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'nginx-bare',
  binaries: ['/usr/sbin/nginx'],
  files: ['${config}', '/etc/nginx/mime.types', '${scratch}/site'],
  user: 'www-data',
  run: { argv: ['/usr/sbin/nginx', '-c', '${config}'] },
});
`);
  });
  afterAll(() => {
    removeScratch(scratch);
    for (const path of madeByTest) if (existsSync(path)) rmdirSync(path);
  });

  it("prints writable entries for nginx's temp directories and its pid and log directories, owned by www-data", async () => {
    const traced = await mkjail(['trace', '--recipe', recipe, '--timeout', '4']);
    expect(traced.exitCode, traced.stderr).toBe(1);
    expect(traced.stderr).toContain('stopped after the timeout of 4 s');
    for (const temp of ['body', 'fastcgi', 'proxy', 'scgi', 'uwsgi']) {
      expect(traced.stdout).toMatch(new RegExp(`\\{ path: '/var/lib/nginx/${temp}', owner: 'www-data', group: 'www-data', mode: '0700', why: 'traced: nginx (created|mkdir\\(\\)s) /var/lib/nginx/${temp}( \\(there already on the host\\))?' \\},`));
    }
    expect(traced.stdout).toContain(`{ path: '${scratch}/run', owner: 'www-data', group: 'www-data', mode: '0700', why: 'traced: nginx created ${scratch}/run/nginx.pid' },`);
    expect(traced.stdout).toMatch(new RegExp(`\\{ path: '${scratch}/log', owner: 'www-data', group: 'www-data', mode: '0700', why: 'traced: nginx created ${scratch}/log/(access|error)\\.log' \\},`));
    // What nginx read at start that a runtime item brings: its zone and OpenSSL's configuration.
    expect(traced.stdout).toContain("    'tz', // traced: nginx read /etc/localtime (openat)\n");
    expect(traced.stdout).toContain("    'openssl', // traced: nginx read /usr/lib/ssl/openssl.cnf (openat)\n");
    expect(traced.stdout).not.toContain("'/etc/localtime',");
    // What the recipe brings is not repeated: nginx, its config, mime.types, the site.
    expect(traced.stdout).not.toContain("'/usr/sbin/nginx'");
    expect(traced.stdout).not.toContain(`'${config}'`);
    expect(traced.stdout).not.toContain("'/etc/nginx/mime.types'");
    // Nothing is left running: no nginx with this config.
    expect(readFileSync(recipe, 'utf8')).not.toContain('traced');
    expect(processesWith(config)).toEqual([]);
  });
});

function processesWith(word: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(word)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone
    }
  }
  return found;
}

// nginx in its jail, for real: recipes/nginx.ts built with a scratch site on a free high port, started
// by DIR/launch (master and worker as www-data from the start, no capability), and asked with curl.
// Symlinks in the site that lead out of it (planted on the host before the build, and in the jail
// after it) serve nothing from the host.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { freeTcpPort } from '../helpers/free-port.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { procView, type Running, servicePid, startInBackground } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['nginx', 'curl', 'getent', 'setpriv'], packages: 'nginx-light curl' });

async function get(port: number, path: string): Promise<{ status: string; body: string }> {
  const result = await execa('curl', ['-s', '--path-as-is', '--max-time', '5', '-o', '-', '-w', '\n%{http_code}', `http://127.0.0.1:${port}${path}`], { reject: false });
  const lines = result.stdout.split('\n');
  return { status: lines.pop() ?? '', body: lines.join('\n') };
}

async function waitForPage(port: number, running: Running): Promise<void> {
  for (let i = 0; i < 80; i++) {
    if ((await get(port, '/')).status === '200') return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`nginx never answered on port ${port}; its output:\n${running.log()}`);
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(pid);
      } catch {
        return false;
      }
    });
}

describe.skipIf(!ok)('nginx serving a static site from its jail', () => {
  const scratch = ok ? makeScratch('nginx-e2e-') : '';
  const secret = `host secret ${randomBytes(8).toString('hex')}`;
  const page = `<p>served from the jail ${randomBytes(8).toString('hex')}</p>\n`;
  let port: number;
  let jail: BuiltJail;
  let nginx: Running | undefined;

  beforeAll(async () => {
    const site = join(scratch, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'index.html'), page);
    writeFileSync(join(scratch, 'secret.txt'), secret);
    // Planted on the host before the build: links out of the site, to a host file beside it and to one of /etc.
    symlinkSync('../secret.txt', join(site, 'leak.txt'));
    symlinkSync('/etc/hostname', join(site, 'hostname'));
    port = await freeTcpPort();
    jail = await buildJail(join(REPO_ROOT, 'recipes/nginx.ts'), { set: { site, port: String(port) } });
    nginx = startInBackground(join(jail.dir, 'launch'), [], 'ignore', [], { group: true });
    await waitForPage(port, nginx);
  });
  afterAll(async () => {
    await nginx?.stop();
    jail?.cleanup();
    removeScratch(scratch);
  });

  it('serves the page, and logs the request in the jail', async () => {
    expect(await get(port, '/')).toEqual({ status: '200', body: page });
    expect(await get(port, '/index.html')).toEqual({ status: '200', body: page });
    expect(readFileSync(join(jail.root, 'var/log/nginx/access.log'), 'utf8')).toContain('"GET /index.html HTTP/1.1" 200');
  });

  it('runs master and worker as www-data, chrooted, with no capability and no root id left', () => {
    // The launcher runs nginx in a PID namespace of its own and writes its host pid to DIR/nginx.pid.
    const master = servicePid(jail.dir, 'nginx');
    const workers = childrenOf(master);
    expect(workers.length).toBe(1);
    const [uid, gid] = ['passwd', 'group'].map((db) => readFileSync(`/etc/${db}`, 'utf8').split('\n').find((l) => l.startsWith('www-data:'))?.split(':')[2]);
    for (const pid of [master, ...workers]) {
      const view = procView(pid);
      expect({ root: view.root, exe: view.exe, Uid: view.status.Uid, Gid: view.status.Gid, CapEff: view.status.CapEff, CapPrm: view.status.CapPrm, NoNewPrivs: view.status.NoNewPrivs }).toEqual({
        root: jail.root,
        exe: join(jail.root, 'usr/sbin/nginx'),
        Uid: [uid, uid, uid, uid].join('\t'),
        Gid: [gid, gid, gid, gid].join('\t'),
        CapEff: '0000000000000000',
        CapPrm: '0000000000000000',
        NoNewPrivs: '1',
      });
    }
  });

  it('serves nothing through the symlinks planted in the site on the host before the build', async () => {
    const hostname = readFileSync('/etc/hostname', 'utf8').trim();
    for (const path of ['/leak.txt', '/hostname']) {
      const answer = await get(port, path);
      // try_files finds no regular file behind the link: 404 (a plain `root` lookup says 403).
      expect([path, ['403', '404'].includes(answer.status)]).toEqual([path, true]);
      expect(answer.body).not.toContain(secret);
      expect(answer.body.includes(hostname) && answer.body.trim() === hostname).toBe(false);
    }
  });

  it('serves nothing through symlinks planted in the jail after the build, nor through ../', async () => {
    const siteInJail = join(jail.root, scratch, 'site');
    symlinkSync('/etc/shadow', join(siteInJail, 'shadow'));
    symlinkSync(join(scratch, 'secret.txt'), join(siteInJail, 'secret'));
    symlinkSync('/', join(siteInJail, 'up'));
    for (const path of ['/shadow', '/secret', '/up/etc/passwd', '/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd']) {
      const answer = await get(port, path);
      expect([path, ['400', '403', '404'].includes(answer.status)]).toEqual([path, true]);
      expect(answer.body).not.toContain(secret);
      expect(answer.body).not.toContain('root:');
    }
  });

  it('stops on SIGTERM to its process group and frees the port', async () => {
    await nginx?.stop();
    expect((await get(port, '/')).status).toBe('000');
  });
});

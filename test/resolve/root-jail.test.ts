// --root: a jail assembled from the resolver's facts alone (paths and symlink chains) runs under
// chroot, resolves inside itself through ld.so.conf when it has no cache, and is never left.
import { copyFileSync, existsSync, mkdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostPath } from '../../src/fs/path-in-root.js';
import { resolveClosure } from '../../src/resolve/library-closure.js';
import type { Closure } from '../../src/resolve/types.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, scratchDir, sharedLibrary } from './helpers/build-elf.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'chroot'], packages: 'gcc coreutils' });

/** Copies every object of `closure` (host paths) into `jail`, recreating each symlink it crossed. */
function copyIntoJail(closure: Closure, jail: string): void {
  for (const object of closure.objects) {
    for (const link of object.links) {
      const at = hostPath(jail, link.path);
      mkdirSync(dirname(at), { recursive: true });
      if (!existsSync(at)) symlinkSync(link.target, at);
    }
    const at = hostPath(jail, object.real);
    mkdirSync(dirname(at), { recursive: true });
    if (!existsSync(at)) copyFileSync(object.real, at);
  }
}

describe.skipIf(!ok)('resolveClosure with a root', () => {
  let dir = '';
  let cleanup = () => {};
  let jail = '';

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('root'));
    jail = `${dir}/jail`;
    mkdirSync(`${jail}/app/bin`, { recursive: true });
    mkdirSync(`${jail}/opt/vendor`, { recursive: true });
    mkdirSync(`${jail}/etc/ld.so.conf.d`, { recursive: true });
    sharedLibrary(`${jail}/opt/vendor`, 'liba.so', 'liba.c');
    sharedLibrary(`${jail}/opt/vendor`, 'libb.so', 'libb.c', ['-L.', '-la']);
    gcc(`${jail}/app/bin`, ['-o', 'prog', 'main-b.c', `-L${jail}/opt/vendor`, '-lb', `-Wl,-rpath-link,${jail}/opt/vendor`]);
    gcc(`${jail}/app/bin`, ['-o', 'zprog', 'plain.c', '-Wl,--no-as-needed', '-lz']);
    writeFileSync(`${jail}/etc/ld.so.conf`, 'include /etc/ld.so.conf.d/*.conf\n');
    writeFileSync(`${jail}/etc/ld.so.conf.d/vendor.conf`, '/opt/vendor\n');
    copyIntoJail(resolveClosure(['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']), jail);
    symlinkSync('/usr/bin/ls', `${jail}/app/bin/escape`);
    symlinkSync('../../../../../../../../usr/lib/x86_64-linux-gnu/libz.so.1', `${jail}/opt/vendor/libz.so.1`);
  });

  afterAll(() => cleanup());

  it('resolves inside the root only, through its ld.so.conf when it has no ld.so.cache', () => {
    const closure = resolveClosure(['/app/bin/prog'], { root: jail });
    expect({ edges: closure.edges, missing: closure.missing }).toEqual({
      edges: [
        { soname: 'libb.so', by: '/app/bin/prog', path: '/opt/vendor/libb.so', via: 'ld.so.cache' },
        { soname: 'libc.so.6', by: '/app/bin/prog', path: '/lib/x86_64-linux-gnu/libc.so.6', via: 'default' },
        { soname: 'liba.so', by: '/opt/vendor/libb.so', path: '/opt/vendor/liba.so', via: 'ld.so.cache' },
        { soname: 'ld-linux-x86-64.so.2', by: '/lib/x86_64-linux-gnu/libc.so.6', path: '/lib64/ld-linux-x86-64.so.2', via: 'slash' },
      ],
      missing: [],
    });
    expect(closure.objects.find((o) => o.kind === 'interpreter')).toEqual({
      path: '/lib64/ld-linux-x86-64.so.2',
      kind: 'interpreter',
      real: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      links: [
        { path: '/lib64', target: 'usr/lib64' },
        { path: '/usr/lib64/ld-linux-x86-64.so.2', target: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
        { path: '/lib', target: 'usr/lib' },
      ],
    });
  });

  it('finds nothing through ld.so.conf when asked for what the loader reads, which chroot confirms', () => {
    const closure = resolveClosure(['/app/bin/prog'], { root: jail, ldSoCache: 'loader' });
    expect(closure.missing).toEqual([{ soname: 'libb.so', neededBy: '/app/bin/prog' }]);
    expect(resolveClosure(['/app/bin/prog'], { root: jail, ldSoCache: 'none' })).toEqual(closure);
    const run = execaSync('chroot', [jail, '/app/bin/prog'], { reject: false });
    expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode: 127, stderr: '/app/bin/prog: error while loading shared libraries: libb.so: cannot open shared object file: No such file or directory' });
  });

  it('builds a jail from the facts alone that really runs under chroot, after ldconfig gives it a cache', () => {
    execaSync('ldconfig', ['-r', jail]);
    const closure = resolveClosure(['/app/bin/prog'], { root: jail });
    expect(closure.edges.map((e) => `${e.soname} ${e.via}`)).toEqual(['libb.so ld.so.cache', 'libc.so.6 ld.so.cache', 'liba.so ld.so.cache', 'ld-linux-x86-64.so.2 slash']);
    expect(execaSync('chroot', [jail, '/app/bin/prog'], { reject: false }).exitCode).toBe(0);    expect(resolveClosure(['/app/bin/prog'], { root: jail, ldSoCache: 'loader' }).edges).toEqual(closure.edges);
    expect(resolveClosure(['/app/bin/prog'], { root: jail, ldSoCache: 'none' }).missing).toEqual([{ soname: 'libb.so', neededBy: '/app/bin/prog' }]);
  });

  it('passes by a damaged file of the same name in a default directory when the cache names another, as the loader does', () => {
    execaSync('ldconfig', ['-r', jail]);
    mkdirSync(`${jail}/usr/lib`, { recursive: true });
    writeFileSync(`${jail}/usr/lib/libb.so`, 'not an ELF file\n');
    try {
      const closure = resolveClosure(['/app/bin/prog'], { root: jail });
      expect(closure.edges.find((e) => e.soname === 'libb.so')).toMatchObject({ path: '/opt/vendor/libb.so', via: 'ld.so.cache' });
      // Without the cache, the default directories would not find the same file.
      expect(closure.cacheDecides).toBe(true);
      expect(execaSync('chroot', [jail, '/app/bin/prog'], { reject: false }).exitCode).toBe(0);
    } finally {
      unlinkSync(`${jail}/usr/lib/libb.so`);
    }
  });

  it('never follows a symlink out of the root', () => {
    expect(() => resolveClosure(['/app/bin/escape'], { root: jail })).toThrow(`Can't read ELF file at /app/bin/escape: no such file inside ${jail}`);
    const closure = resolveClosure(['/app/bin/zprog'], { root: jail });
    expect(closure.missing).toEqual([{ soname: 'libz.so.1', neededBy: '/app/bin/zprog' }]);
  });

  it('answers the same through `mkjail deps --root --list`', async () => {
    const result = await mkjail(['deps', '--root', jail, '--list', '/app/bin/prog']);
    expect(result).toEqual({
      exitCode: 0,
      stdout: ['/app/bin/prog', '/lib64/ld-linux-x86-64.so.2', '/opt/vendor/libb.so', '/lib/x86_64-linux-gnu/libc.so.6', '/opt/vendor/liba.so'].join('\n'),
      stderr: '',
    });
  });

  it('maps the libraries of the root\'s /etc/ld.so.preload into every dynamic program, and ignores missing ones', () => {
    writeFileSync(`${jail}/etc/ld.so.preload`, '/opt/vendor/liba.so:libgone.so\n');
    try {
      const closure = resolveClosure(['/app/bin/zprog'], { root: jail });
      expect({ edges: closure.edges.slice(0, 2), missing: closure.missing }).toEqual({
        edges: [
          { soname: '/opt/vendor/liba.so', by: '/etc/ld.so.preload', path: '/opt/vendor/liba.so', via: 'slash' },
          { soname: 'libz.so.1', by: '/app/bin/zprog', path: undefined, via: undefined },
        ],
        missing: [{ soname: 'libz.so.1', neededBy: '/app/bin/zprog' }],
      });
      const loader = execaSync('chroot', [jail, '/lib64/ld-linux-x86-64.so.2', '--list', '/app/bin/prog'], { reject: false });
      const listed = [...String(loader.stdout).matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]).sort();
      const ours = resolveClosure(['/app/bin/prog'], { root: jail }).objects.filter((o) => o.kind !== 'input').map((o) => o.path);
      expect(ours.sort()).toEqual(listed);
    } finally {
      unlinkSync(`${jail}/etc/ld.so.preload`);
    }
  });
});

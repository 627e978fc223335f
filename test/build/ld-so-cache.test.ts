// Libraries the host finds only through its ld.so.cache, in a directory the loader does not search by
// default: the jail gets its own /etc/ld.so.cache listing exactly them, so verify finds them and chroot
// runs the program; without that cache (removed by hand) verify reports them and chroot fails. The
// host's cache gains a scratch directory for the test and is rebuilt as it was after it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLdSoCache } from '../../src/elf/ld-so-cache.js';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, scratchDir, sharedLibrary } from '../resolve/helpers/build-elf.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'chroot', 'ldconfig', 'getent', 'mknod', 'perl'], packages: 'gcc libc-bin coreutils' });

/** Three SONAMEs whose numeric and text orders differ: the loader's binary search finds each only in ldconfig's order. */
const A = 'libjailcached.so.1';
const B = 'libjailcached.so.10';
const C = 'libjailcached.so.9';

describe.skipIf(!ok)('a program whose libraries only the host\'s ld.so.cache finds', () => {
  let dir = '';
  let cleanup = () => {};
  let conf = '';
  let jail: BuiltJail | undefined;
  const lib = (soname: string) => `${dir}/lib/${soname}`;
  const prog = () => `${dir}/prog`;

  beforeAll(async () => {
    ({ dir, cleanup } = scratchDir('ldcache'));
    mkdirSync(join(dir, 'lib'));
    sharedLibrary(dir, `lib/${A}`, 'liba.c', [`-Wl,-soname,${A}`]);
    sharedLibrary(dir, `lib/${C}`, 'liba.c', [`-Wl,-soname,${C}`]);
    sharedLibrary(dir, `lib/${B}`, 'libb.c', [`-Wl,-soname,${B}`, `lib/${A}`]);
    gcc(dir, ['-o', 'prog', 'main-b.c', '-Wl,--no-as-needed', `lib/${B}`, `lib/${C}`, '-Wl,-rpath-link,lib']);
    conf = `/etc/ld.so.conf.d/zz-mkjail-test-${process.pid}.conf`;
    writeFileSync(conf, `${dir}/lib\n`);
    try {
      execFileSync('ldconfig');
      jail = await buildJail(`import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'cached', binaries: ['${prog()}'], user: 'nobody', run: { argv: ['${prog()}'] } });
`);
    } finally {
      rmSync(conf, { force: true });
      execFileSync('ldconfig');
    }
  });
  afterAll(() => {
    jail?.cleanup();
    cleanup();
  });

  const runAsNobody = () => {
    const run = spawnSync('chroot', ['--userspec=65534:65534', '--groups=65534', jail?.root ?? '/nonexistent', prog()], { encoding: 'utf8' });
    return { status: run.status, stderr: run.stderr };
  };

  it('leaves the host\'s cache as it was', () => {
    expect(existsSync(conf)).toBe(false);
    expect(execFileSync('ldconfig', ['-p'], { encoding: 'utf8' })).not.toContain('libjailcached');
  });

  it('jails each library with its cache reason, and a cache of exactly them with theirs, without a warning', () => {
    const byPath = new Map(jail?.manifest.entries.map((e) => [e.path, e]));
    expect(byPath.get(lib(B))?.reasons).toEqual([{ kind: 'needed', soname: B, by: prog(), via: 'ld.so.cache' }]);
    expect(byPath.get(lib(A))?.reasons).toEqual([{ kind: 'needed', soname: A, by: lib(B), via: 'ld.so.cache' }]);
    const why = (soname: string) => `ld.so.cache entry ${soname} => ${lib(soname)}: the host's cache finds it outside the loader's default directories`;
    expect(byPath.get('/etc/ld.so.cache')).toMatchObject({
      type: 'file',
      mode: '0444',
      uid: 0,
      gid: 0,
      reasons: [
        { kind: 'config', by: prog(), what: why(B) },
        { kind: 'config', by: prog(), what: why(C) },
        { kind: 'config', by: lib(B), what: why(A) },
      ],
    });
    expect(jail?.result.warnings).toEqual([]);
  });

  it('writes a cache that the project\'s parser and `ldconfig -p -C` read back alike, in ldconfig\'s order', () => {
    const file = `${jail?.root}/etc/ld.so.cache`;
    const parsed = parseLdSoCache(readFileSync(file));
    expect((parsed?.all() ?? []).map((e) => `${e.soname} ${e.flags.toString(16)} ${e.path}`)).toEqual([
      `${B} 303 ${lib(B)}`,
      `${C} 303 ${lib(C)}`,
      `${A} 303 ${lib(A)}`,
    ]);
    expect(execFileSync('ldconfig', ['-p', '-C', file], { encoding: 'utf8' })).toBe(
      [`3 libs found in cache \`${file}'`, ...[B, C, A].map((s) => `\t${s} (libc6,x86-64) => ${lib(s)}`), ''].join('\n'),
    );
  });

  it('loads inside the jail: verify finds nothing and chroot runs the program as nobody', () => {
    if (!jail) throw new Error('no jail was built');
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    expect(runAsNobody()).toEqual({ status: 0, stderr: '' });
  });

  it('does not load without the jail\'s cache: verify reports each library (libjailcached.so.10 on its own, as no program reaches it) and chroot fails', () => {
    if (!jail) throw new Error('no jail was built');
    const file = `${jail.root}/etc/ld.so.cache`;
    const bytes = readFileSync(file);
    rmSync(file);
    try {
      expect(verifyJail(jail.root, jail.manifest)).toEqual([
        { kind: 'missing', path: '/etc/ld.so.cache', expected: 'file', found: 'nothing' },
        { kind: 'load', path: lib(B), expected: A, found: 'nothing in the jail' },
        { kind: 'load', path: prog(), expected: B, found: 'nothing in the jail' },
        { kind: 'load', path: prog(), expected: C, found: 'nothing in the jail' },
      ]);
      expect(runAsNobody()).toEqual({ status: 127, stderr: `${prog()}: error while loading shared libraries: ${B}: cannot open shared object file: No such file or directory\n` });
    } finally {
      writeFileSync(file, bytes, { mode: 0o444 });
    }
  });
});

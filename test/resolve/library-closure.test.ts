// The loader's hard cases, built with gcc from fixtures/elf: each result is asserted whole, and
// checked against ldd (the loader itself, on these trusted files).
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostCpuFacts, x86Platform } from '../../src/resolve/hwcaps.js';
import { resolveClosure } from '../../src/resolve/library-closure.js';
import { SharedLookups } from '../../src/resolve/root-files.js';
import type { Closure } from '../../src/resolve/types.js';
import { prerequisites } from '../helpers/prereq.js';
import { asLddWouldList, gcc, ldd, scratchDir, sharedLibrary } from './helpers/build-elf.js';

const ok = prerequisites({ commands: ['gcc', 'ldd', 'qemu-i386'], packages: 'gcc libc-bin qemu-user' });
const has32 = ok && canBuild32();

const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';
const LD_SO = '/lib64/ld-linux-x86-64.so.2';

/** The closure with the scratch directory shown as <dir>: objects, edges and missing as short lines. */
function summary(closure: Closure, dir: string) {
  const short = (path: string | undefined) => (path ?? 'NOT FOUND').split(dir).join('<dir>');
  return {
    objects: closure.objects.map((o) => `${o.kind} ${short(o.path)}`),
    edges: closure.edges.map((e) => `${short(e.by)}: ${short(e.soname)} => ${short(e.path)} (${e.via ?? '-'})`),
    missing: closure.missing.map((m) => `${m.soname} (needed by ${short(m.neededBy)})`),
  };
}

function expectSameAsLdd(file: string): Closure {
  const closure = resolveClosure([file]);
  expect(asLddWouldList(closure, file)).toEqual(ldd(file));
  return closure;
}

function canBuild32(): boolean {
  const { dir, cleanup } = scratchDir('m32');
  try {
    gcc(dir, ['-m32', '-o', 'p', 'plain.c']);
    return true;
  } catch {
    return false;
  } finally {
    cleanup();
  }
}

describe.skipIf(!ok)('resolveClosure on programs built with gcc', () => {
  let dir = '';
  let cleanup = () => {};

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('closure'));
    for (const sub of ['rpath/bin', 'rpath/lib', 'runpath/bin', 'runpath/lib', 'cycle', 'slash', 'chain/lib', 'missing', 'skip/d32', 'skip/d64', 'nodeflib', 'tokens/lib/x86_64-linux-gnu', 'hwcaps/glibc-hwcaps/x86-64-v2']) {
      mkdirSync(`${dir}/${sub}`, { recursive: true });
    }
    for (const kind of ['rpath', 'runpath']) {
      const d = `${dir}/${kind}`;
      sharedLibrary(d, 'lib/liba.so', 'liba.c');
      sharedLibrary(d, 'lib/libb.so', 'libb.c', ['-Llib', '-la']);
      const dtags = kind === 'rpath' ? '--disable-new-dtags' : '--enable-new-dtags';
      gcc(d, ['-o', 'bin/prog', 'main-b.c', '-Llib', '-lb', `-Wl,${dtags},-rpath,$ORIGIN/../lib`]);
    }
    const c = `${dir}/cycle`;
    sharedLibrary(c, 'libcy.so', 'cycle-y.c');
    sharedLibrary(c, 'libcx.so', 'cycle-x.c', ['-L.', '-lcy', '-Wl,-rpath,$ORIGIN']);
    sharedLibrary(c, 'libcy.so', 'cycle-y.c', ['-L.', '-lcx', '-Wl,-rpath,$ORIGIN']);
    gcc(c, ['-o', 'prog', 'main-cycle.c', '-L.', '-lcx', '-Wl,-rpath,$ORIGIN']);
    gcc(dir, ['-static', '-o', 'static', 'plain.c']);
    sharedLibrary(`${dir}/slash`, 'liba.so', 'liba.c');
    gcc(`${dir}/slash`, ['-o', 'prog', 'main-a.c', `${dir}/slash/liba.so`]);
    const ch = `${dir}/chain`;
    sharedLibrary(ch, 'lib/liba.so.1.0.0', 'liba.c', ['-Wl,-soname,liba.so.1']);
    symlinkSync('liba.so.1.0.0', `${ch}/lib/liba.so.1`);
    symlinkSync('liba.so.1', `${ch}/lib/liba.so`);
    gcc(ch, ['-o', 'prog', 'main-a.c', '-Llib', '-la', '-Wl,-rpath,$ORIGIN/lib']);
    sharedLibrary(`${dir}/missing`, 'liba.so', 'liba.c');
    gcc(`${dir}/missing`, ['-o', 'prog', 'main-a.c', '-L.', '-la']);
    unlinkSync(`${dir}/missing/liba.so`);
    sharedLibrary(`${dir}/skip`, 'd64/liba.so', 'liba.c');
    gcc(`${dir}/skip`, ['-o', 'prog', 'main-a.c', '-Ld64', '-la', '-Wl,-rpath,$ORIGIN/d32:$ORIGIN/d64']);
    sharedLibrary(`${dir}/nodeflib`, 'liba.so', 'liba.c');
    gcc(`${dir}/nodeflib`, ['-o', 'prog', 'main-a.c', '-L.', '-la', '-Wl,-z,nodefaultlib,-rpath,$ORIGIN']);
    sharedLibrary(`${dir}/hwcaps`, 'liba.so', 'liba.c');
    sharedLibrary(`${dir}/hwcaps`, 'glibc-hwcaps/x86-64-v2/liba.so', 'liba.c');
    gcc(`${dir}/hwcaps`, ['-o', 'prog', 'main-a.c', '-L.', '-la', '-Wl,-rpath,$ORIGIN']);
  });

  afterAll(() => cleanup());

  it('follows DT_RPATH with $ORIGIN, and uses the executable\'s RPATH for its libraries\' needs too', () => {
    const closure = expectSameAsLdd(`${dir}/rpath/bin/prog`);
    expect(summary(closure, dir)).toEqual({
      objects: ['input <dir>/rpath/bin/prog', `interpreter ${LD_SO}`, 'library <dir>/rpath/lib/libb.so', `library ${LIBC}`, 'library <dir>/rpath/lib/liba.so'],
      edges: [
        '<dir>/rpath/bin/prog: libb.so => <dir>/rpath/lib/libb.so (rpath)',
        `<dir>/rpath/bin/prog: libc.so.6 => ${LIBC} (ld.so.cache)`,
        '<dir>/rpath/lib/libb.so: liba.so => <dir>/rpath/lib/liba.so (rpath)',
        `${LIBC}: ld-linux-x86-64.so.2 => ${LD_SO} (slash)`,
      ],
      missing: [],
    });
  });

  it('follows DT_RUNPATH with $ORIGIN for the object\'s own needs only: the indirect liba is not found', () => {
    const closure = expectSameAsLdd(`${dir}/runpath/bin/prog`);
    expect(summary(closure, dir)).toEqual({
      objects: ['input <dir>/runpath/bin/prog', `interpreter ${LD_SO}`, 'library <dir>/runpath/lib/libb.so', `library ${LIBC}`],
      edges: [
        '<dir>/runpath/bin/prog: libb.so => <dir>/runpath/lib/libb.so (runpath)',
        `<dir>/runpath/bin/prog: libc.so.6 => ${LIBC} (ld.so.cache)`,
        '<dir>/runpath/lib/libb.so: liba.so => NOT FOUND (-)',
        `${LIBC}: ld-linux-x86-64.so.2 => ${LD_SO} (slash)`,
      ],
      missing: ['liba.so (needed by <dir>/runpath/lib/libb.so)'],
    });
  });

  it('maps each library of a dependency cycle once', () => {
    const closure = expectSameAsLdd(`${dir}/cycle/prog`);
    expect(summary(closure, dir)).toEqual({
      objects: ['input <dir>/cycle/prog', `interpreter ${LD_SO}`, 'library <dir>/cycle/libcx.so', `library ${LIBC}`, 'library <dir>/cycle/libcy.so'],
      edges: [
        '<dir>/cycle/prog: libcx.so => <dir>/cycle/libcx.so (runpath)',
        `<dir>/cycle/prog: libc.so.6 => ${LIBC} (ld.so.cache)`,
        '<dir>/cycle/libcx.so: libcy.so => <dir>/cycle/libcy.so (runpath)',
        `${LIBC}: ld-linux-x86-64.so.2 => ${LD_SO} (slash)`,
        '<dir>/cycle/libcy.so: libcx.so => <dir>/cycle/libcx.so (runpath)',
      ],
      missing: [],
    });
  });

  it('gives a static binary no interpreter and no library', () => {
    const closure = expectSameAsLdd(`${dir}/static`);
    expect(summary(closure, dir)).toEqual({ objects: ['input <dir>/static'], edges: [], missing: [] });
  });

  it('opens a DT_NEEDED that contains a slash as a path', () => {
    const closure = expectSameAsLdd(`${dir}/slash/prog`);
    expect(summary(closure, dir).edges[0]).toBe('<dir>/slash/prog: <dir>/slash/liba.so => <dir>/slash/liba.so (slash)');
  });

  it('keeps the SONAME symlink as the path and records the chain to the real file', () => {
    const closure = expectSameAsLdd(`${dir}/chain/prog`);
    const lib = closure.objects.find((o) => o.path.endsWith('liba.so.1'));
    expect(lib).toEqual({
      path: `${dir}/chain/lib/liba.so.1`,
      kind: 'library',
      real: `${dir}/chain/lib/liba.so.1.0.0`,
      links: [{ path: `${dir}/chain/lib/liba.so.1`, target: 'liba.so.1.0.0' }],
    });
  });

  it('resolves programs alike in all but $ORIGIN each on its own, in one call', () => {
    mkdirSync(`${dir}/chaincopy`, { recursive: true });
    copyFileSync(`${dir}/chain/prog`, `${dir}/chaincopy/prog`);
    const closure = resolveClosure([`${dir}/chain/prog`, `${dir}/chaincopy/prog`, `${dir}/chain/prog`]);
    expect(summary(closure, dir).missing).toEqual(['liba.so.1 (needed by <dir>/chaincopy/prog)']);
    expect(summary(closure, dir).edges.filter((e) => e.includes('liba'))).toEqual([
      '<dir>/chain/prog: liba.so.1 => <dir>/chain/lib/liba.so.1 (runpath)',
      '<dir>/chaincopy/prog: liba.so.1 => NOT FOUND (-)',
    ]);
  });

  it('drops the program\'s $ORIGIN when its directory is unknown (no /proc), for its libraries too, and keeps a library\'s own', () => {
    const d = `${dir}/origin`;
    mkdirSync(`${d}/lib`, { recursive: true });
    mkdirSync(`${d}/bin`, { recursive: true });
    sharedLibrary(d, 'lib/liba.so', 'liba.c');
    sharedLibrary(d, 'lib/libb.so', 'libb.c', ['-Llib', '-la', '-Wl,--enable-new-dtags,-rpath,$ORIGIN']);
    gcc(d, ['-o', 'bin/prog', 'main-b.c', '-Llib', '-lb', `-Wl,--enable-new-dtags,-rpath,${d}/lib`]);
    sharedLibrary(d, 'bin/libself.so', 'liba.c', ['-Wl,-soname,$ORIGIN/libself.so']);
    gcc(d, ['-o', 'bin/needs-self', 'main-a.c', `${d}/bin/libself.so`]);
    const unknown = (file: string) => summary(resolveClosure([file], { programOrigin: 'unknown' }), dir);
    expect(unknown(`${dir}/rpath/bin/prog`)).toEqual({
      objects: ['input <dir>/rpath/bin/prog', `interpreter ${LD_SO}`, `library ${LIBC}`],
      edges: ['<dir>/rpath/bin/prog: libb.so => NOT FOUND (-)', `<dir>/rpath/bin/prog: libc.so.6 => ${LIBC} (ld.so.cache)`, `${LIBC}: ld-linux-x86-64.so.2 => ${LD_SO} (slash)`],
      missing: ['libb.so (needed by <dir>/rpath/bin/prog)'],
    });
    expect(unknown(`${d}/bin/prog`)).toEqual(summary(expectSameAsLdd(`${d}/bin/prog`), dir));
    expect(unknown(`${d}/bin/prog`).missing).toEqual([]);
    expect(summary(expectSameAsLdd(`${d}/bin/needs-self`), dir).edges[0]).toBe('<dir>/origin/bin/needs-self: $ORIGIN/libself.so => <dir>/origin/bin/libself.so (slash)');
    expect(unknown(`${d}/bin/needs-self`).missing).toEqual(['$ORIGIN/libself.so (needed by <dir>/origin/bin/needs-self)']);
    expect(unknown(`${d}/lib/libb.so`)).toEqual(summary(resolveClosure([`${d}/lib/libb.so`]), dir));
  });

  it('records a missing library and still resolves the rest', () => {
    const closure = expectSameAsLdd(`${dir}/missing/prog`);
    expect(summary(closure, dir)).toEqual({
      objects: ['input <dir>/missing/prog', `interpreter ${LD_SO}`, `library ${LIBC}`],
      edges: [
        '<dir>/missing/prog: liba.so => NOT FOUND (-)',
        `<dir>/missing/prog: libc.so.6 => ${LIBC} (ld.so.cache)`,
        `${LIBC}: ld-linux-x86-64.so.2 => ${LD_SO} (slash)`,
      ],
      missing: ['liba.so (needed by <dir>/missing/prog)'],
    });
  });

  it.skipIf(!has32)('skips a library of the wrong class in an earlier directory', () => {
    sharedLibrary(`${dir}/skip`, 'd32/liba.so', 'liba.c', ['-m32']);
    const closure = expectSameAsLdd(`${dir}/skip/prog`);
    expect(summary(closure, dir).edges[0]).toBe('<dir>/skip/prog: liba.so => <dir>/skip/d64/liba.so (runpath)');
  });

  it('honours DF_1_NODEFLIB: no default directory, and no cache entry inside one', () => {
    const closure = expectSameAsLdd(`${dir}/nodeflib/prog`);
    expect(summary(closure, dir)).toEqual({
      objects: ['input <dir>/nodeflib/prog', `interpreter ${LD_SO}`, 'library <dir>/nodeflib/liba.so'],
      edges: ['<dir>/nodeflib/prog: liba.so => <dir>/nodeflib/liba.so (runpath)', '<dir>/nodeflib/prog: libc.so.6 => NOT FOUND (-)'],
      missing: ['libc.so.6 (needed by <dir>/nodeflib/prog)'],
    });
  });

  it("says the cache decides nothing where the default directories find the same files, as for Debian's /usr/bin/ls", () => {
    const ls = resolveClosure(['/usr/bin/ls']);
    expect(ls.edges.some((e) => e.via === 'ld.so.cache')).toBe(true);
    expect(ls.cacheDecides).toBeUndefined();
    expect(resolveClosure(['/usr/bin/ls'], { ldSoCache: 'none' }).objects).toEqual(ls.objects);
  });

  it('gives each program the closure it has alone when resolves share their lookups, with and without the cache', () => {
    const programs = ['/usr/bin/ls', '/usr/bin/cp', '/usr/bin/id', '/usr/bin/tar', '/usr/bin/perl', '/usr/bin/curl', '/usr/sbin/named', '/usr/bin/ssh'].filter((p) => existsSync(p));
    const shared = new SharedLookups();
    for (const ldSoCache of ['root', 'none'] as const) {
      for (const program of programs) expect(resolveClosure([program], { ldSoCache, shared })).toEqual(resolveClosure([program], { ldSoCache }));
    }
  });

  it('prefers the glibc-hwcaps subdirectory this CPU supports', () => {
    const closure = expectSameAsLdd(`${dir}/hwcaps/prog`);
    expect(summary(closure, dir).edges[0]).toBe('<dir>/hwcaps/prog: liba.so => <dir>/hwcaps/glibc-hwcaps/x86-64-v2/liba.so (runpath)');
  });

  it('expands $LIB and ${PLATFORM} in DT_RUNPATH', () => {
    const platform = x86Platform(hostCpuFacts(), true);
    const libDir = `${dir}/tokens/lib/x86_64-linux-gnu/${platform}`;
    mkdirSync(libDir, { recursive: true });
    sharedLibrary(libDir, 'liba.so', 'liba.c');
    gcc(`${dir}/tokens`, ['-o', 'prog', 'main-a.c', `-L${libDir}`, '-la', '-Wl,-rpath,$ORIGIN/$LIB/${PLATFORM}']);
    const closure = expectSameAsLdd(`${dir}/tokens/prog`);
    expect(summary(closure, dir).edges[0]).toBe(`<dir>/tokens/prog: liba.so => <dir>/tokens/lib/x86_64-linux-gnu/${platform}/liba.so (runpath)`);
  });

  it('resolves ".." in DT_RUNPATH after the symlink before it, as the kernel does', () => {
    const d = `${dir}/dotdot`;
    mkdirSync(`${d}/app/bin`, { recursive: true });
    mkdirSync(`${d}/elsewhere/deep`, { recursive: true });
    symlinkSync('../../elsewhere/deep', `${d}/app/bin/link`);
    sharedLibrary(`${d}/elsewhere`, 'liba.so', 'liba.c');
    gcc(d, ['-o', 'app/bin/prog', 'main-a.c', '-Lelsewhere', '-la', '-Wl,-rpath,$ORIGIN/link/..']);
    const closure = expectSameAsLdd(`${d}/app/bin/prog`);
    expect(summary(closure, dir).edges[0]).toBe('<dir>/dotdot/app/bin/prog: liba.so => <dir>/dotdot/elsewhere/liba.so (runpath)');
  });

  it.skipIf(!has32)('resolves a 32-bit program with the 32-bit loader\'s cache entries and directories', () => {
    sharedLibrary(`${dir}/skip`, 'd32/liba.so', 'liba.c', ['-m32']);
    gcc(`${dir}/skip`, ['-m32', '-o', 'prog32', 'main-a.c', '-Ld32', '-la', '-Wl,-rpath,$ORIGIN/d64:$ORIGIN/d32']);
    const closure = expectSameAsLdd(`${dir}/skip/prog32`);
    const interpreter = closure.objects.find((o) => o.kind === 'interpreter');
    expect(interpreter?.path).toBe('/lib/ld-linux.so.2');
    expect(summary(closure, dir).edges[0]).toBe('<dir>/skip/prog32: liba.so => <dir>/skip/d32/liba.so (runpath)');
  });

  it('throws a clean error naming a library that is not ELF', () => {
    const d = `${dir}/slash`;
    renameSync(`${d}/liba.so`, `${d}/liba.so.real`);
    try {
      gcc(d, ['-c', '-o', 'liba.so', 'liba.c']);
      chmodSync(`${d}/liba.so`, 0o644);
      expect(() => resolveClosure([`${d}/prog`])).toThrow(`Can't read ELF file at ${d}/liba.so: not an executable or shared library (ELF type 1)`);
    } finally {
      renameSync(`${d}/liba.so.real`, `${d}/liba.so`);
    }
  });
});

describe.skipIf(!(ok && prerequisites({ root: true, commands: ['setpriv'], packages: 'util-linux' })))('resolveClosure on a setuid program', () => {
  let dir = '';
  let cleanup = () => {};

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('setuid'));
    chmodSync(dir, 0o755);
    mkdirSync(`${dir}/lib`);
    sharedLibrary(`${dir}/lib`, 'liba.so', 'liba.c');
    gcc(dir, ['-o', 'prog', 'main-a.c', '-Llib', '-la', '-Wl,-rpath,$ORIGIN/lib']);
    gcc(dir, ['-o', 'suid', 'main-a.c', '-Llib', '-la', '-Wl,-rpath,$ORIGIN/lib']);
    chmodSync(`${dir}/prog`, 0o755);
    chmodSync(`${dir}/suid`, 0o4755);
  });

  afterAll(() => cleanup());

  /** Runs `file` as nobody, so a setuid program really starts in secure mode. */
  function runAsNobody(file: string): number | undefined {
    return execaSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', file], { reject: false }).exitCode;
  }

  it('drops $ORIGIN outside trusted directories in secure mode, as the loader does when it runs', () => {
    expect({ prog: runAsNobody(`${dir}/prog`), suid: runAsNobody(`${dir}/suid`) }).toEqual({ prog: 0, suid: 127 });
    expect(resolveClosure([`${dir}/prog`]).missing).toEqual([]);
    expect(resolveClosure([`${dir}/suid`]).missing).toEqual([{ soname: 'liba.so', neededBy: `${dir}/suid` }]);
  });
});

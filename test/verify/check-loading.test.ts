import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, sharedLibrary } from '../resolve/helpers/build-elf.js';
import { type Fixture, type FixtureEntry, makeFixture } from './jail-fixture.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'chroot', 'mknod', 'unshare', 'mount'], packages: 'gcc util-linux mount' });

const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const LOADER = '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2';

describe.skipIf(!ok)('the static load check of verify, against a real chroot', () => {
  let build: string;
  let hello: Buffer;
  let libgreet: Buffer;
  let usesGreet: Buffer;
  const built = (name: string) => readFileSync(join(build, name));
  const jails: Fixture[] = [];

  beforeAll(() => {
    build = mkdtempSync(join(tmpdir(), 'mkjail-elf-'));
    writeFileSync(join(build, 'hello.c'), '#include <stdio.h>\nint main(void) { puts("hello from the jail"); return 0; }\n');
    writeFileSync(join(build, 'greet.c'), 'int greet(void) { return 42; }\n');
    writeFileSync(join(build, 'uses.c'), 'int greet(void);\nint main(void) { return greet() == 42 ? 0 : 1; }\n');
    execaSync('gcc', ['-O1', '-o', 'hello', 'hello.c'], { cwd: build });
    execaSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libgreet.so.1', '-o', 'libgreet.so.1', 'greet.c'], { cwd: build });
    execaSync('gcc', ['-o', 'uses', 'uses.c', '-L.', '-l:libgreet.so.1'], { cwd: build });
    hello = readFileSync(join(build, 'hello'));
    libgreet = readFileSync(join(build, 'libgreet.so.1'));
    usesGreet = readFileSync(join(build, 'uses'));
    // liba.so; libb.so needs it and has no search path of its own; a plugin like libb, loaded by nobody.
    sharedLibrary(build, 'liba.so', 'liba.c');
    sharedLibrary(build, 'libb.so', 'libb.c', ['-L.', '-la']);
    sharedLibrary(build, 'libplugin.so', 'libb.c', ['-Wl,-soname,libplugin.so', '-L.', '-la']);
    sharedLibrary(build, 'libb-origin.so', 'libb.c', ['-Wl,-soname,libb.so', '-L.', '-la', '-Wl,--enable-new-dtags,-rpath,$ORIGIN']);
    sharedLibrary(build, 'libb-interp.so', 'libb.c', ['interp.c', '-Wl,-soname,libb.so', '-L.', '-la', '-Wl,--enable-new-dtags,-rpath,$ORIGIN']);
    gcc(build, ['-o', 'origin-prog', 'main-a.c', '-L.', '-la', '-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib']);
    gcc(build, ['-o', 'rpath-prog', 'main-b.c', '-L.', '-lb', '-Wl,--disable-new-dtags,-rpath,/opt/app/lib', '-Wl,-rpath-link,.']);
    gcc(build, ['-o', 'runpath-prog', 'main-b.c', '-L.', '-lb', '-Wl,--enable-new-dtags,-rpath,/opt/app/lib', '-Wl,-rpath-link,.']);
  });
  afterAll(() => {
    rmSync(build, { recursive: true, force: true });
    for (const jail of jails) jail.cleanup();
  });

  function jailWith(extra: FixtureEntry[]): Fixture {
    const entries: FixtureEntry[] = [
      { type: 'dir', path: '/', mode: '0555' },
      { type: 'dir', path: '/usr', mode: '0555' },
      { type: 'dir', path: '/usr/bin', mode: '0555' },
      { type: 'file', path: '/usr/bin/hello', mode: '0555', content: hello, reasons: [{ kind: 'binary' }] },
      ...extra,
    ];
    const jail = makeFixture(entries);
    jails.push(jail);
    return jail;
  }

  const withLibc: FixtureEntry[] = [
    { type: 'symlink', path: '/lib64', target: 'usr/lib64' },
    { type: 'dir', path: '/usr/lib', mode: '0555' },
    { type: 'dir', path: '/usr/lib/x86_64-linux-gnu', mode: '0555' },
    { type: 'file', path: '/usr/lib/x86_64-linux-gnu/libc.so.6', mode: '0555', content: readFileSync(LIBC) },
    { type: 'dir', path: '/usr/lib64', mode: '0555' },
    { type: 'file', path: '/usr/lib64/ld-linux-x86-64.so.2', mode: '0555', content: readFileSync(LOADER) },
  ];

  it('finds nothing when the program, its interpreter and libc are in the jail, and chroot runs it', async () => {
    const jail = jailWith(withLibc);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    const run = await execa('chroot', [jail.root, '/usr/bin/hello'], { reject: false });
    expect({ exitCode: run.exitCode, stdout: run.stdout }).toEqual({ exitCode: 0, stdout: 'hello from the jail' });
  });

  it('reports the missing interpreter and libc of a program alone in the jail, which chroot cannot run', async () => {
    const jail = jailWith([]);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'load', path: '/usr/bin/hello', expected: '/lib64/ld-linux-x86-64.so.2', found: 'nothing in the jail' },
      { kind: 'load', path: '/usr/bin/hello', expected: 'libc.so.6', found: 'nothing in the jail' },
    ]);
    const run = await execa('chroot', [jail.root, '/usr/bin/hello'], { reject: false });
    expect(run.exitCode).toBe(127);
  });

  it('reports a library missing for one program while its neighbour loads', async () => {
    const jail = jailWith([
      ...withLibc,
      { type: 'file', path: '/usr/bin/uses-greet', mode: '0555', content: usesGreet },
    ]);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'load', path: '/usr/bin/uses-greet', expected: 'libgreet.so.1', found: 'nothing in the jail' },
    ]);
    const run = await execa('chroot', [jail.root, '/usr/bin/uses-greet'], { reject: false });
    expect(run.exitCode).toBe(127);
  });

  it('finds the library once it is in a default directory, and chroot runs the program', async () => {
    const jail = jailWith([
      ...withLibc,
      { type: 'file', path: '/usr/bin/uses-greet', mode: '0555', content: usesGreet },
      { type: 'file', path: '/usr/lib/x86_64-linux-gnu/libgreet.so.1', mode: '0444', content: libgreet },
    ]);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    const run = await execa('chroot', [jail.root, '/usr/bin/uses-greet'], { reject: false });
    expect(run.exitCode).toBe(0);
  });

  const appDirs: FixtureEntry[] = ['/opt', '/opt/app', '/opt/app/bin', '/opt/app/lib'].map((path) => ({ type: 'dir', path, mode: '0555' }));
  const inJail = (path: string, name: string): FixtureEntry => ({ type: 'file', path, mode: '0555', content: built(name) });
  const chroot = async (jail: Fixture, program: string) => (await execa('chroot', [jail.root, program], { reject: false })).exitCode;

  it('reports a program that finds its library only through its own $ORIGIN: chroot cannot start it without /proc, and can with /proc', async () => {
    const jail = jailWith([
      ...withLibc,
      ...appDirs,
      { type: 'dir', path: '/proc', mode: '0555' },
      inJail('/opt/app/bin/origin-prog', 'origin-prog'),
      inJail('/opt/app/lib/liba.so', 'liba.so'),
    ]);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'load', path: '/opt/app/bin/origin-prog', expected: 'liba.so', found: 'nothing in the jail' },
    ]);
    expect(await chroot(jail, '/opt/app/bin/origin-prog')).toBe(127);
    const withProc = await execa('unshare', ['--mount', 'sh', '-c', 'mount --bind /proc "$1/proc" && chroot "$1" /opt/app/bin/origin-prog', 'sh', jail.root], { reject: false });
    expect(withProc.exitCode).toBe(0);
  });

  it('checks a library where its program loads it (a need found through the program\'s DT_RPATH), and a plugin no program loads on its own', async () => {
    const jail = jailWith([
      ...withLibc,
      ...appDirs,
      inJail('/opt/app/bin/rpath-prog', 'rpath-prog'),
      inJail('/opt/app/lib/libb.so', 'libb.so'),
      inJail('/opt/app/lib/liba.so', 'liba.so'),
      inJail('/opt/app/lib/libplugin.so', 'libplugin.so'),
    ]);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'load', path: '/opt/app/lib/libplugin.so', expected: 'liba.so', found: 'nothing in the jail' },
    ]);
    expect(await chroot(jail, '/opt/app/bin/rpath-prog')).toBe(0);
  });

  it('reports the need of a library that the program\'s DT_RUNPATH does not serve, which chroot cannot start', async () => {
    const jail = jailWith([
      ...withLibc,
      ...appDirs,
      inJail('/opt/app/bin/runpath-prog', 'runpath-prog'),
      inJail('/opt/app/lib/libb.so', 'libb.so'),
      inJail('/opt/app/lib/liba.so', 'liba.so'),
    ]);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'load', path: '/opt/app/lib/libb.so', expected: 'liba.so', found: 'nothing in the jail' },
    ]);
    expect(await chroot(jail, '/opt/app/bin/runpath-prog')).toBe(127);
  });

  it('finds a library\'s need through the library\'s own $ORIGIN, which works without /proc, and chroot runs the program', async () => {
    const jail = jailWith([
      ...withLibc,
      ...appDirs,
      inJail('/opt/app/bin/runpath-prog', 'runpath-prog'),
      inJail('/opt/app/lib/libb.so', 'libb-origin.so'),
      inJail('/opt/app/lib/liba.so', 'liba.so'),
    ]);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    expect(await chroot(jail, '/opt/app/bin/runpath-prog')).toBe(0);
  });

  it('checks a library that has a PT_INTERP, as libc does, as the library its program loads: its own $ORIGIN works', async () => {
    const jail = jailWith([
      ...withLibc,
      ...appDirs,
      inJail('/opt/app/bin/runpath-prog', 'runpath-prog'),
      inJail('/opt/app/lib/libb.so', 'libb-interp.so'),
      inJail('/opt/app/lib/liba.so', 'liba.so'),
    ]);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    expect(await chroot(jail, '/opt/app/bin/runpath-prog')).toBe(0);
  });

  it('reports a truncated ELF file as one that cannot load, and still checks the others', () => {
    const jail = jailWith([{ type: 'file', path: '/usr/bin/broken', mode: '0555', content: hello.subarray(0, 40) }]);
    const drifts = verifyJail(jail.root, jail.manifest);
    expect(drifts.map(({ kind, path, expected }) => ({ kind, path, expected }))).toEqual([
      { kind: 'load', path: '/usr/bin/broken', expected: 'a loadable ELF file' },
      { kind: 'load', path: '/usr/bin/hello', expected: '/lib64/ld-linux-x86-64.so.2' },
      { kind: 'load', path: '/usr/bin/hello', expected: 'libc.so.6' },
    ]);
    expect(drifts[0]?.found).toMatch(/^Can't read ELF file at \/usr\/bin\/broken/);
  });

  it('names the program whose library is not an ELF file, and still checks the others in context', () => {
    const jail = jailWith([
      ...withLibc,
      ...appDirs,
      { type: 'file', path: '/usr/bin/uses-greet', mode: '0555', content: usesGreet },
      { type: 'file', path: '/usr/lib/x86_64-linux-gnu/libgreet.so.1', mode: '0444', content: 'not a library\n' },
      inJail('/opt/app/bin/rpath-prog', 'rpath-prog'),
      inJail('/opt/app/lib/libb.so', 'libb.so'),
      inJail('/opt/app/lib/liba.so', 'liba.so'),
    ]);
    const drifts = verifyJail(jail.root, jail.manifest);
    expect(drifts).toEqual([
      { kind: 'load', path: '/usr/bin/uses-greet', expected: 'a loadable ELF file', found: expect.stringMatching(/^Can't read ELF file at \/usr\/lib\/x86_64-linux-gnu\/libgreet\.so\.1: /) },
    ]);
  });

  it('skips the load check when asked to', () => {
    const jail = jailWith([]);
    expect(verifyJail(jail.root, jail.manifest, { loadCheck: false })).toEqual([]);
  });
});

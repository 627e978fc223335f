// Real ELF built with gcc: a program that finds its own shared library through RUNPATH is jailed with the
// library's symlink chain and the reason `needed via runpath`, and runs under chroot as nobody. A program
// whose RUNPATH uses $ORIGIN gets a warning: a jail has no /proc, and glibc expands a program's $ORIGIN
// from /proc/self/exe, so it would not start (checked here with chroot).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJail, type BuiltJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { tmpScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'chroot', 'getent', 'mknod', 'perl'], packages: 'gcc coreutils' });

describe.skipIf(!ok)('a jail for a gcc-built program with its own shared library', () => {
  const scratch = tmpScratch('mkjail-gcc-', ok);
  const lib = join(scratch, 'lib');
  const bin = join(scratch, 'bin');
  const jails: BuiltJail[] = [];
  afterAll(() => {
    for (const jail of jails) jail.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  beforeAll(() => {
    mkdirSync(lib);
    mkdirSync(bin);
    writeFileSync(join(scratch, 'greet.c'), '#include <stdio.h>\nvoid greet(void) { puts("hello from a jail"); }\n');
    writeFileSync(join(scratch, 'main.c'), 'void greet(void);\nint main(void) { greet(); return 0; }\n');
    execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libgreet.so.1', '-o', join(lib, 'libgreet.so.1.0'), join(scratch, 'greet.c')]);
    symlinkSync('libgreet.so.1.0', join(lib, 'libgreet.so.1'));
    symlinkSync('libgreet.so.1', join(lib, 'libgreet.so'));
    const link = (name: string, runpath: string) =>
      execFileSync('gcc', ['-o', join(bin, name), join(scratch, 'main.c'), `-L${lib}`, '-lgreet', `-Wl,-rpath,${runpath}`, '-Wl,--enable-new-dtags']);
    link('hello', lib);
    link('hello-origin', '$ORIGIN/../lib');
  });

  const recipe = (program: string) => `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'hello', binaries: ['${join(bin, program)}'], user: 'nobody', run: { argv: ['${join(bin, program)}'] } });
`;
  const runAsNobody = (root: string, program: string) =>
    spawnSync('chroot', ['--userspec=65534:65534', '--groups=65534', root, join(bin, program)], { encoding: 'utf8' });

  it('keeps the library symlink chain, records `needed via runpath`, and runs as nobody', async () => {
    const jail = await buildJail(recipe('hello'));
    jails.push(jail);
    const byPath = new Map(jail.manifest.entries.map((e) => [e.path, e]));
    const reason = { kind: 'needed', soname: 'libgreet.so.1', by: join(bin, 'hello'), via: 'runpath' };
    expect(byPath.get(join(lib, 'libgreet.so.1'))).toEqual({ type: 'symlink', path: join(lib, 'libgreet.so.1'), target: 'libgreet.so.1.0', mode: '0777', uid: 0, gid: 0, reasons: [reason] });
    expect(byPath.get(join(lib, 'libgreet.so.1.0'))).toMatchObject({ type: 'file', mode: '0555', uid: 0, gid: 0, reasons: [reason] });
    expect(byPath.has(join(lib, 'libgreet.so'))).toBe(false);
    expect(jail.result.warnings).toEqual([]);
    expect(runAsNobody(jail.root, 'hello')).toMatchObject({ status: 0, stdout: 'hello from a jail\n' });
  });

  it('warns about a program that needs $ORIGIN, which indeed does not start in the jail', async () => {
    const jail = await buildJail(recipe('hello-origin'));
    jails.push(jail);
    expect(jail.result.warnings).toEqual([
      `${join(bin, 'hello-origin')} finds libraries through $ORIGIN in its RUNPATH ($ORIGIN/../lib); the loader expands $ORIGIN of a program from /proc/self/exe, which a jail does not have, so it will not start inside the jail: relink it with an absolute RUNPATH`,
    ]);
    expect(runAsNobody(jail.root, 'hello-origin')).toMatchObject({
      status: 127,
      stderr: `${join(bin, 'hello-origin')}: error while loading shared libraries: libgreet.so.1: cannot open shared object file: No such file or directory\n`,
    });
  });
});

// The build's $ORIGIN warning follows the resolver, with the program's origin unknown as in a jail: a
// program whose DT_RPATH with $ORIGIN serves only its library's need is warned about (and chroot cannot
// start it); a program whose RUNPATH finds the same library without $ORIGIN is not.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, scratchDir, sharedLibrary } from '../resolve/helpers/build-elf.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'chroot', 'getent', 'mknod', 'perl'], packages: 'gcc coreutils' });

describe.skipIf(!ok)('the $ORIGIN warning of the build', () => {
  let dir = '';
  let cleanup = () => {};
  const jails: BuiltJail[] = [];

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('origin'));
    mkdirSync(`${dir}/lib`);
    mkdirSync(`${dir}/bin`);
    sharedLibrary(dir, 'lib/liba.so', 'liba.c');
    sharedLibrary(dir, 'lib/libb.so', 'libb.c', ['-Llib', '-la']);
    // libb.so has no SONAME: the program names it by its absolute path, and only liba.so is searched.
    gcc(dir, ['-o', 'bin/inherits', 'main-b.c', `${dir}/lib/libb.so`, `-Wl,-rpath-link,${dir}/lib,--disable-new-dtags,-rpath,$ORIGIN/../lib`]);
    gcc(dir, ['-o', 'bin/backed', 'main-a.c', '-Llib', '-la', `-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib:${dir}/lib`]);
  });
  afterAll(() => {
    for (const jail of jails) jail.cleanup();
    cleanup();
  });

  const build = async (program: string) => {
    const jail = await buildJail(`import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'origin', binaries: ['${dir}/bin/${program}'], user: 'nobody', run: { argv: ['${dir}/bin/${program}'] } });
`);
    jails.push(jail);
    return jail;
  };

  it('warns about a program whose RPATH $ORIGIN serves only its library, which chroot cannot start', async () => {
    const jail = await build('inherits');
    expect(jail.result.warnings).toEqual([
      `${dir}/bin/inherits finds libraries through $ORIGIN in its RPATH ($ORIGIN/../lib); the loader expands $ORIGIN of a program from /proc/self/exe, which a jail does not have, so it will not start inside the jail: relink it with an absolute RUNPATH`,
    ]);
    const run = spawnSync('chroot', ['--userspec=65534:65534', '--groups=65534', jail.root, `${dir}/bin/inherits`], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 127,
      stderr: `${dir}/bin/inherits: error while loading shared libraries: liba.so: cannot open shared object file: No such file or directory\n`,
    });
  });

  it('does not warn about a program whose RUNPATH backs $ORIGIN with an absolute element, which chroot starts', async () => {
    const jail = await build('backed');
    expect(jail.result.warnings).toEqual([]);
    const run = spawnSync('chroot', ['--userspec=65534:65534', '--groups=65534', jail.root, `${dir}/bin/backed`], { encoding: 'utf8' });
    expect(run.status).toBe(0);
  });
});

// A library the host finds only through its ld.so.cache, in a directory the loader does not search by
// default: the jail has no cache, so the build warns, verify reports it, and chroot cannot start the
// program. The host's cache gains a scratch directory for the test and is rebuilt as it was after it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, scratchDir, sharedLibrary } from '../resolve/helpers/build-elf.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'chroot', 'ldconfig', 'getent', 'mknod', 'perl'], packages: 'gcc libc-bin coreutils' });

const SONAME = 'libjailcached.so.1';

describe.skipIf(!ok)('a program whose library only the host\'s ld.so.cache finds', () => {
  let dir = '';
  let cleanup = () => {};
  let conf = '';
  let jail: BuiltJail | undefined;

  beforeAll(async () => {
    ({ dir, cleanup } = scratchDir('ldcache'));
    mkdirSync(join(dir, 'lib'));
    sharedLibrary(dir, `lib/${SONAME}`, 'liba.c', [`-Wl,-soname,${SONAME}`]);
    gcc(dir, ['-o', 'prog', 'main-a.c', `lib/${SONAME}`]);
    conf = `/etc/ld.so.conf.d/zz-mkjail-test-${process.pid}.conf`;
    writeFileSync(conf, `${dir}/lib\n`);
    try {
      execFileSync('ldconfig');
      jail = await buildJail(`import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'cached', binaries: ['${dir}/prog'], user: 'nobody', run: { argv: ['${dir}/prog'] } });
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

  it('leaves the host\'s cache as it was', () => {
    expect(existsSync(conf)).toBe(false);
    expect(execFileSync('ldconfig', ['-p'], { encoding: 'utf8' })).not.toContain(SONAME);
  });

  it('jails the library with its cache reason and warns, naming it and the fix', () => {
    const library = `${dir}/lib/${SONAME}`;
    const entry = jail?.manifest.entries.find((e) => e.path === library);
    expect(entry?.reasons).toEqual([{ kind: 'needed', soname: SONAME, by: `${dir}/prog`, via: 'ld.so.cache' }]);
    expect(jail?.result.warnings).toEqual([
      `${library} (${SONAME}, needed by ${dir}/prog) is found through the host's /etc/ld.so.cache in ${dir}/lib, which is not a directory the loader searches by default; the jail has no ld.so.cache, so it will not load inside the jail: relink ${dir}/prog with a RUNPATH naming ${dir}/lib, or install the library in /usr/lib/<triplet>`,
    ]);
  });

  it('is reported by the load check of verify, and chroot cannot start the program', () => {
    if (!jail) throw new Error('no jail was built');
    expect(verifyJail(jail.root, jail.manifest)).toEqual([{ kind: 'load', path: `${dir}/prog`, expected: SONAME, found: 'nothing in the jail' }]);
    const run = spawnSync('chroot', ['--userspec=65534:65534', '--groups=65534', jail.root, `${dir}/prog`], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 127,
      stderr: `${dir}/prog: error while loading shared libraries: ${SONAME}: cannot open shared object file: No such file or directory\n`,
    });
  });
});

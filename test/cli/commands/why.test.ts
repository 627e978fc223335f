// `mkjail why DIR PATH` on a real jail: a library two levels deep (prog -> libb -> liba) is traced
// back to the recipe field, also when asked through the jail's /lib symlink; a path the jail lacks is
// exit 1, a directory without a manifest exit 2.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJail, type BuiltJail } from '../../helpers/build-jail.js';
import { mkjail } from '../../helpers/cli.js';
import { prerequisites } from '../../helpers/prereq.js';
import { makeScratch, removeScratch } from '../../helpers/scratch.js';
import { gcc, sharedLibrary } from '../../resolve/helpers/build-elf.js';

const ok = prerequisites({ root: true, commands: ['gcc'], packages: 'gcc' });

/** libc's reasons, in manifest order: each object that needs it (liba and libb call nothing of it), back to its binary. */
const CHAINS = (dir: string) => [
  ['libc.so.6 needed by /usr/bin/true via ld.so.cache', 'recipe field binaries.0 (a binary)'],
  [`libc.so.6 needed by ${dir}/prog via ld.so.cache`, 'recipe field binaries.1 (a binary)'],
];

describe.skipIf(!ok)('mkjail why', () => {
  let dir = '';
  let jail: BuiltJail | undefined;
  beforeAll(async () => {
    dir = makeScratch('why-');
    const lib = join(dir, 'lib');
    mkdirSync(lib, { mode: 0o755 });
    sharedLibrary(lib, 'liba.so.1', 'liba.c', ['-Wl,-soname,liba.so.1']);
    sharedLibrary(lib, 'libb.so.1', 'libb.c', ['-Wl,-soname,libb.so.1', '-L.', '-l:liba.so.1', '-Wl,--enable-new-dtags,-rpath,' + lib]);
    gcc(dir, ['-o', 'prog', 'main-b.c', '-Llib', '-l:libb.so.1', `-Wl,-rpath-link,lib,--enable-new-dtags,-rpath,${lib}`]);
    jail = await buildJail(`import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'why', binaries: ['/usr/bin/true', '${dir}/prog'], user: 'nobody', group: 'nogroup' });
`);
  });
  afterAll(() => {
    jail?.cleanup();
    removeScratch(dir);
  });

  it('prints the chain of a library two levels deep back to the recipe field', async () => {
    expect(await mkjail(['why', jail?.dir ?? '', `${dir}/lib/liba.so.1`])).toEqual({
      exitCode: 0,
      stdout: [
        `${dir}/lib/liba.so.1`,
        `  <- liba.so.1 needed by ${dir}/lib/libb.so.1 via runpath`,
        `  <- libb.so.1 needed by ${dir}/prog via runpath`,
        '  <- recipe field binaries.1 (a binary)',
      ].join('\n'),
      stderr: '',
    });
  });

  it('follows the jail\'s own symlinks, and prints one chain per reason (libc: needed by each binary)', async () => {
    const result = await mkjail(['why', '--json', jail?.dir ?? '', '/lib/x86_64-linux-gnu/libc.so.6']);
    expect(result.exitCode).toBe(0);
    const answer = JSON.parse(result.stdout) as { path: string; chains: Array<Array<{ because: string }>> };
    expect(answer.path).toBe('/usr/lib/x86_64-linux-gnu/libc.so.6');
    expect(answer.chains.map((chain) => chain.map((step) => step.because))).toEqual(CHAINS(dir));
  });

  it('exits 1 for a path the jail does not hold, 2 for a directory without a manifest', async () => {
    expect(await mkjail(['why', jail?.dir ?? '', '/bin/sh'])).toEqual({
      exitCode: 1,
      stdout: '',
      stderr: `mkjail why: /bin/sh is not in the jail ${jail?.dir} (its manifest has no such entry)`,
    });
    const bad = await mkjail(['why', dir, '/bin/sh']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^mkjail why: Can't read manifest at ${dir}/manifest.json: .*\\(fix: point at a directory built by \`mkjail build\``));
  });
});

// The programs a build starts, seen with strace: each host look-up once (getent through the host's NSS,
// answers kept for the process), one flush of the file system for the tree and the scripts together, no
// rm of a staging directory that was never left behind, and on a rebuild with nothing changed no write
// at all: only the look-ups the plan needs.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { MKJAIL_BIN } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['strace', 'getent'], packages: 'strace' });
/** id(1) jailed as nobody: one user and one group to look up, no account to create. */
const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'id', binaries: ['/usr/bin/id'], user: 'nobody', group: 'nogroup', run: { argv: ['/usr/bin/id'] } });
`;

/** The programs `mkjail ARGS` started (successful execve), as "name arg...", mkjail's own node left out. */
async function programsStarted(log: string, args: string[]): Promise<string[]> {
  const result = await execa('strace', ['-f', '-qq', '-s', '200', '-o', log, '-e', 'trace=execve', process.execPath, MKJAIL_BIN, ...args], { reject: false });
  expect(result.exitCode, result.stderr).toBe(0);
  return readFileSync(log, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const call = /execve\("([^"]+)", \[([^\]]*)\].*\) = 0$/.exec(line);
      if (!call || call[1] === process.execPath) return [];
      const argv = [...(call[2] as string).matchAll(/"([^"]*)"/g)].map((m) => m[1]);
      return [[basename(call[1] as string), ...argv.slice(1)].join(' ')];
    });
}

describe.skipIf(!ok)('the programs mkjail build starts', () => {
  const scratch = ok ? makeScratch('children-') : '';
  afterAll(() => scratch && removeScratch(scratch));
  const recipe = join(scratch, 'id.ts');
  if (ok) writeFileSync(recipe, RECIPE);
  const build = (log: string) => programsStarted(join(scratch, log), ['build', recipe, '--out', join(scratch, 'out')]);

  it('asks getent once per user and group, flushes once and removes nothing on a first build', async () => {
    const started = await build('cold.txt');
    const dev = join(scratch, 'out');
    expect(started.map((p) => p.replace(/\/\.mkjail-staging-\d+/, '/STAGING').replaceAll(dev, 'DIR'))).toEqual([
      'getent passwd nobody',
      'getent group nogroup',
      'ld-linux-x86-64.so.2 --help',
      'id -G -- nobody',
      'mknod -m 0600 DIR/STAGING/dev/null c 1 3',
      'sync --file-system DIR',
    ]);
  });

  it('starts only the look-ups on a rebuild with nothing changed', async () => {
    expect(await build('again.txt')).toEqual(['getent passwd nobody', 'getent group nogroup', 'ld-linux-x86-64.so.2 --help', 'id -G -- nobody']);
  });
});

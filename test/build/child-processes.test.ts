// The programs a build starts, seen with strace: each host look-up once (getent through the host's NSS,
// answers kept for the process, the user's and group's asked in one shell), one flush of the file system for the tree and the scripts together, no
// rm of a staging directory that was never left behind, no loader asked for its --help (its answer kept
// by an earlier run: loader-report-cache.ts), and on a rebuild with nothing changed no write at all:
// only the look-ups the plan needs.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { parseStraceOutput } from '../../src/trace/strace-syntax.js';
import { MKJAIL_BIN, mkjail } from '../helpers/cli.js';
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
  // parseStraceOutput joins an execve strace split in two when another process interrupted it.
  return parseStraceOutput(readFileSync(log, 'utf8')).flatMap((call) => {
    const path = /^"([^"]+)"$/.exec(call.args[0] ?? '')?.[1];
    if (call.name !== 'execve' || call.value !== 0 || !path || path === process.execPath) return [];
    const argv = [...(call.args[1] ?? '').matchAll(/"([^"]*)"/g)].map((m) => m[1]);
    return [[basename(path), ...argv.slice(1)].join(' ')];
  });
}

describe.skipIf(!ok)('the programs mkjail build starts', () => {
  const scratch = ok ? makeScratch('children-') : '';
  afterAll(() => scratch && removeScratch(scratch));
  const recipe = join(scratch, 'id.ts');
  if (ok) writeFileSync(recipe, RECIPE);
  const build = (log: string) => programsStarted(join(scratch, log), ['build', recipe, '--out', join(scratch, 'out')]);
  // Any run as root keeps the loader's answer; later ones (these builds) find it.
  beforeAll(async () => expect((await mkjail(['deps', '--list', '/usr/bin/id'])).exitCode).toBe(0));

  // The account look-ups run in one shell, in this order, while the plan goes on (its own programs may
  // start in between).
  const LOOKUPS = ['getent passwd nobody', 'id -G -- nobody', 'getent group nogroup'];
  const grouped = (started: string[]) => ({
    shells: started.filter((p) => p.startsWith('sh -c ')).length,
    lookups: started.filter((p) => LOOKUPS.includes(p)),
    others: started.filter((p) => !p.startsWith('sh -c ') && !LOOKUPS.includes(p)),
  });

  it('asks getent once per user and group, flushes once and removes nothing on a first build', async () => {
    const started = await build('cold.txt');
    const dev = join(scratch, 'out');
    expect(grouped(started.map((p) => p.replace(/\/\.mkjail-staging-\d+/, '/STAGING').replaceAll(dev, 'DIR')))).toEqual({
      shells: 1,
      lookups: LOOKUPS,
      others: ['mknod -m 0600 DIR/STAGING/dev/null c 1 3', 'sync --file-system DIR'],
    });
  });

  it('starts only the look-ups on a rebuild with nothing changed', async () => {
    expect(grouped(await build('again.txt'))).toEqual({ shells: 1, lookups: LOOKUPS, others: [] });
  });
});

// `mkjail build RECIPE --jobs FILE`: many jails from one recipe in one process, each with its own --set
// values, each a complete jail of its own that verify accepts and whose launcher runs as its user.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/plan/manifest.js';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { shellWords } from '../../src/cli/jobs-file.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent', 'chroot'] });
const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  vars: { user: 'nobody', motd: 'none' },
  recipe: (vars) => ({
    name: 'per-user',
    binaries: ['/usr/bin/id'],
    user: vars.user,
    generated: [{ path: '/etc/motd', text: vars.motd }],
    run: { argv: ['/usr/bin/id', '-un'] },
  }),
});
`;
/** Host users every Debian system has, with their own groups. */
const USERS = ['daemon', 'bin', 'nobody'];

describe.skipIf(!ok)('mkjail build --jobs', () => {
  const scratch = ok ? makeScratch('jobs-') : '';
  const recipe = join(scratch, 'recipe.ts');
  const jobs = join(scratch, 'jobs');
  afterAll(() => scratch && removeScratch(scratch));

  it('builds one complete jail per line, each with its own --set values and the common ones', async () => {
    writeFileSync(recipe, RECIPE);
    const lines = USERS.map((user) => `--out ${join(scratch, user)} --set user=${user}`);
    // A quoted value with a space, a comment and a blank line.
    writeFileSync(jobs, `# one jail per user\n${lines[0]} --set 'motd=hello daemon'\n\n${lines.slice(1).join('\n')}\n`);
    const result = await mkjail(['build', recipe, '--jobs', jobs, '--set', 'motd=common', '--json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const reports = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { job: string; changed: boolean; root: string });
    expect(reports.map((r) => [r.job, r.changed, r.root])).toEqual([
      [`${jobs} line 2`, true, join(scratch, 'daemon/root')],
      [`${jobs} line 4`, true, join(scratch, 'bin/root')],
      [`${jobs} line 5`, true, join(scratch, 'nobody/root')],
    ]);
    for (const user of USERS) {
      const dir = join(scratch, user);
      expect(verifyJail(join(dir, 'root'), readManifest(join(dir, 'manifest.json')))).toEqual([]);
      expect(readFileSync(join(dir, 'root/etc/passwd'), 'utf8')).toContain(`\n${user}:x:`);
      expect(readFileSync(join(dir, 'root/etc/motd'), 'utf8')).toBe(user === 'daemon' ? 'hello daemon' : 'common');
      expect(execFileSync(join(dir, 'launch'), { encoding: 'utf8' }).trim()).toBe(user);
    }
  });

  it('writes nothing when run again, and --check says so with exit 0', async () => {
    const again = await mkjail(['build', recipe, '--jobs', jobs, '--set', 'motd=common']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout.split('\n').filter((l) => l.endsWith('nothing written'))).toHaveLength(3);
    const check = await mkjail(['build', recipe, '--jobs', jobs, '--set', 'motd=common', '--check']);
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.stdout.split('\n').filter((l) => l.endsWith(': up to date'))).toHaveLength(3);
  });

  it('stops at the first failing job with one line naming it; the jobs before it stay built', async () => {
    const bad = join(scratch, 'bad-jobs');
    writeFileSync(bad, `--out ${join(scratch, 'first')} --set user=daemon\n--out ${join(scratch, 'second')} --set user=mkjt-no-such-user\n--out ${join(scratch, 'third')}\n`);
    const result = await mkjail(['build', recipe, '--jobs', bad]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^mkjail build: job at ${bad} line 2: .*mkjt-no-such-user.*\\(fix: `));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect([existsSync(join(scratch, 'first/root')), existsSync(join(scratch, 'second')), existsSync(join(scratch, 'third'))]).toEqual([true, false, false]);
  });

  it('refuses a bad jobs file before building anything: an unknown option, two jobs with one DIR, --out beside --jobs', async () => {
    const bad = join(scratch, 'bad-lines');
    writeFileSync(bad, `--out ${join(scratch, 'never')}\n--out ${join(scratch, 'never')} --sett x=1\n`);
    const unknown = await mkjail(['build', recipe, '--jobs', bad]);
    expect([unknown.exitCode, unknown.stderr]).toEqual([2, `mkjail build: Can't use job at ${bad} line 2: Unknown option '--sett' (fix: a job is --out DIR [--set NAME=VALUE ...] [--tar FILE])`]);
    writeFileSync(bad, `--out ${join(scratch, 'never')}\n--out ${join(scratch, 'never')}/\n`);
    const twice = await mkjail(['build', recipe, '--jobs', bad]);
    expect([twice.exitCode, twice.stderr]).toEqual([2, `mkjail build: Can't use jobs file at ${bad}: ${bad} line 2 builds into ${join(scratch, 'never')} as ${bad} line 1 does (fix: give each job its own --out DIR)`]);
    const both = await mkjail(['build', recipe, '--jobs', bad, '--out', join(scratch, 'never')]);
    expect(both.exitCode).toBe(2);
    expect(existsSync(join(scratch, 'never'))).toBe(false);
  });
});

describe('the words of a job line', () => {
  it('splits as sh does: quotes, backslashes, comments', () => {
    expect(shellWords(`--out '/srv/a b' --set "x=a \\"q\\"" --set y=c\\ d # note`, 'f line 1')).toEqual(['--out', '/srv/a b', '--set', 'x=a "q"', '--set', 'y=c d']);
    expect(shellWords('   # only a comment', 'f line 1')).toEqual([]);
    expect(() => shellWords(`--out 'open`, 'f line 3')).toThrow("Can't use job at f line 3: unclosed ' quote");
  });
});

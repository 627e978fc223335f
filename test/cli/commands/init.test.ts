// `mkjail init`: a recipe for a binary that `mkjail build` accepts as written, and the tool runs in the
// jail as nobody. With probe arguments, the traced run adds what the plain jail would lack (date reads
// the zone: runtime tz); without, the recipe holds the binary and the placeholders.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkjail } from '../../helpers/cli.js';
import { prerequisites } from '../../helpers/prereq.js';
import { makeScratch, removeScratch } from '../../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['strace', 'date', 'id', 'chroot'], packages: 'strace coreutils' });

describe.skipIf(!ok)('mkjail init', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = makeScratch('init-');
  });
  afterAll(() => removeScratch(scratch));
  const inJail = (dir: string, argv: string[]) => spawnSync('/usr/sbin/chroot', ['--userspec=65534:65534', '--groups=65534', join(dir, 'root'), ...argv], { encoding: 'utf8', env: { PATH: '/usr/bin' } });

  it('writes a recipe from a traced probe run that builds without edits, and the tool runs in the jail', async () => {
    const recipe = join(scratch, 'date.ts');
    const written = await mkjail(['init', '/usr/bin/date', '--out', recipe, '--', '+%Z'], { cwd: scratch });
    expect(written.exitCode, written.stderr).toBe(0);
    const text = readFileSync(recipe, 'utf8');
    expect(text).toContain("    '/usr/bin/date', // with its interpreter and library closure, read from ELF\n");
    expect(text).toContain("    'tz', // traced: date read /etc/localtime (openat)\n");
    expect(text).toContain("  run: { argv: ['/usr/bin/date', '+%Z'] },\n");
    expect(text).toContain("  // writable: [{ path: '/var/lib/NAME'");
    const built = await mkjail(['build', recipe, '--out', join(scratch, 'date')]);
    expect(built.exitCode, built.stderr).toBe(0);
    const hostZone = execFileSync('date', ['+%Z'], { encoding: 'utf8' });
    expect(inJail(join(scratch, 'date'), ['/usr/bin/date', '+%Z'])).toMatchObject({ status: 0, stdout: hostZone });
  });

  it('without probe arguments, writes the binary and placeholders; it builds and runs as nobody', async () => {
    const written = await mkjail(['init', 'id', '--name', 'who']);
    expect(written.exitCode, written.stderr).toBe(0);
    expect(written.stdout).toContain("  name: 'who',\n");
    const recipe = join(scratch, 'who.ts');
    writeFileSync(recipe, written.stdout);
    const built = await mkjail(['build', recipe, '--out', join(scratch, 'who')]);
    expect(built.exitCode, built.stderr).toBe(0);
    expect(inJail(join(scratch, 'who'), ['/usr/bin/id'])).toMatchObject({ status: 0, stdout: 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n' });
  });

  it('refuses to overwrite a file, and a binary that is not there', async () => {
    const taken = join(scratch, 'taken.ts');
    writeFileSync(taken, '// mine\n');
    const refused = await mkjail(['init', '/usr/bin/id', '--out', taken]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe(`mkjail init: Can't write the recipe at ${taken}: it exists (fix: give a new file, or remove it first)`);
    expect(readFileSync(taken, 'utf8')).toBe('// mine\n');
    expect((await mkjail(['init', '/usr/bin/no-such-tool-here'])).exitCode).toBe(2);
  });
});

// Faults of the file system a build writes to end in one line and exit 3, with nothing half-written: too
// little room (checked with statfs before staging), room that runs out mid-write anyway (here: a tmpfs
// out of inodes, which statfs's byte count does not show; or another writer that fills the disk after
// the check, as the tar or the scripts are written, made deterministic by the build's own step runner),
// a read-only file system, and a nodev one for a jail that holds /dev/null. Each on a small tmpfs
// mounted for the test.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MkjailError } from '../../src/errors.js';
import { runBuild, type StepRunner } from '../../src/stage/run-build.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent', 'mknod', 'mount', 'umount'] });

/** A jail of `count` small files, /etc/version from v<version>.txt, and (with `dev`) /dev/null. */
const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  vars: { version: '1', count: '1', big: 'no', dev: 'no' },
  recipe: (vars) => ({
    name: 'faults',
    files: [
      { from: \`./v\${vars.version}.txt\`, to: '/etc/version' },
      ...Array.from({ length: Number(vars.count) }, (_, i) => ({ from: './small.txt', to: \`/srv/f\${i}\` })),
      ...(vars.big === 'yes' ? [{ from: './big.bin', to: '/srv/big.bin' }] : []),
    ],
    devices: vars.dev === 'yes' ? ['null' as const] : [],
  }),
});
`;

/** Fills the file system holding `dir` (another writer) with `dir`/filler until it has no byte left. */
function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch {
    // ENOSPC: full.
  } finally {
    closeSync(fd);
  }
}

/** runBuild's error as `${exitCode} ${line}`, or 'built'. */
async function outcome(build: () => Promise<unknown>): Promise<string> {
  try {
    await build();
    return 'built';
  } catch (error) {
    if (error instanceof MkjailError) return `${error.exitCode} ${error.toLine()}`;
    throw error;
  }
}

describe.skipIf(!ok)('a build onto a file system that fails it', () => {
  let scratch: string;
  let out: string;
  let mounted = false;
  const mount = (options: string) => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `${options},mode=0755`, 'tmpfs', out]);
    mounted = true;
  };
  const build = (set: Record<string, string>, extra: string[] = []) =>
    mkjail(['build', join(scratch, 'recipe.ts'), '--out', join(out, 'jail'), ...Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]), '--json', ...extra]);

  beforeEach(() => {
    scratch = makeScratch('faults-');
    out = join(scratch, 'mnt');
    mkdirSync(out);
    writeFileSync(join(scratch, 'recipe.ts'), RECIPE);
    writeFileSync(join(scratch, 'v1.txt'), 'one\n');
    writeFileSync(join(scratch, 'v2.txt'), 'two\n');
    writeFileSync(join(scratch, 'small.txt'), 'small\n');
    writeFileSync(join(scratch, 'big.bin'), Buffer.alloc(2 * 1024 * 1024, 7));
  });
  afterEach(() => {
    if (mounted) execFileSync('umount', [out]);
    mounted = false;
    removeScratch(scratch);
  });

  it('refuses before staging when the plan needs more than the free space, naming both numbers; the old jail stays', async () => {
    mount('size=1m');
    expect((await build({})).exitCode).toBe(0);
    const result = await build({ version: '2', big: 'yes' });
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      new RegExp(`^mkjail build: Can't build jail tree at ${join(out, 'jail/root')}: it needs (\\d+) bytes and the file system holding ${join(out, 'jail')} has (\\d+) bytes free \\(fix: .*\\)$`),
    );
    const [, needed, free] = /needs (\d+) bytes .* has (\d+) bytes free/.exec(result.stderr) ?? [];
    expect(Number(needed)).toBeGreaterThan(2 * 1024 * 1024);
    expect(Number(free)).toBeLessThan(1024 * 1024);
    expect(readdirSync(join(out, 'jail')).filter((n) => n.startsWith('.mkjail-staging'))).toEqual([]);
    expect(readFileSync(join(out, 'jail/root/etc/version'), 'utf8')).toBe('one\n');
  });

  it('refuses a --tar that would not fit the same way, writing nothing', async () => {
    mount('size=1m');
    const result = await build({ big: 'yes' }, ['--tar', join(out, 'jail.tar')]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(new RegExp(`^mkjail build: Can't build the tar ${join(out, 'jail.tar')}: it needs \\d+ bytes and the file system holding ${out} has \\d+ bytes free \\(fix: .*\\)$`));
    expect(readdirSync(out)).toEqual([]);
  });

  it('stops in one line when space runs out mid-write, removes its staging directory and keeps the old jail', async () => {
    // Few inodes and plenty of bytes: statfs's free bytes pass, creating the 60th file fails with ENOSPC.
    mount('size=4m,nr_inodes=40');
    expect((await build({ count: '5' })).exitCode).toBe(0);
    const result = await build({ version: '2', count: '60' });
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^mkjail build: Can't write the new jail at ${join(out, 'jail')}/\\.mkjail-staging-\\d+: no space left on device \\(fix: .*\\)$`));
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(readdirSync(join(out, 'jail')).filter((n) => n.startsWith('.mkjail-staging'))).toEqual([]);
    expect(readFileSync(join(out, 'jail/root/etc/version'), 'utf8')).toBe('one\n');
    expect(readdirSync(join(out, 'jail/root/srv'))).toHaveLength(5);
  });

  it('stops in one line when another writer fills the disk as the tar is written: the staged tar removed, the old tar kept', async () => {
    mount('size=1m');
    expect((await build({}, ['--tar', join(out, 'jail.tar')])).exitCode).toBe(0);
    const before = readFileSync(join(out, 'jail.tar'));
    // The build's own step runner: the disk fills after the check for room, as the tar step starts.
    const step: StepRunner = async (title, work) => {
      if (title.startsWith('Write the tar')) fill(out);
      return work();
    };
    const result = await outcome(() => runBuild({ recipe: join(scratch, 'recipe.ts'), out: join(out, 'jail'), tar: join(out, 'jail.tar'), set: { version: '2' } }, step));
    expect(result).toMatch(new RegExp(`^3 Can't write the tar at ${join(out, 'jail.tar')}: no space left on device \\(fix: .*\\)$`));
    expect(readFileSync(join(out, 'jail.tar'))).toEqual(before);
    expect(readdirSync(out).sort()).toEqual(['filler', 'jail', 'jail.tar']);
    expect(readdirSync(join(out, 'jail')).filter((n) => n.startsWith('.mkjail-staging'))).toEqual([]);
  });

  it('stops in one line when the disk fills as the manifest and scripts are written: the new tree and staged scripts removed, the old jail kept', async () => {
    mount('size=1m');
    expect((await build({})).exitCode).toBe(0);
    const manifest = readFileSync(join(out, 'jail/manifest.json'));
    // The tree is staged; the disk fills before the scripts beside it are written.
    const step: StepRunner = async (title, work) => {
      const done = await work();
      if (title.startsWith('Stage the new jail')) fill(out);
      return done;
    };
    const result = await outcome(() => runBuild({ recipe: join(scratch, 'recipe.ts'), out: join(out, 'jail'), set: { version: '2' } }, step));
    expect(result).toMatch(new RegExp(`^3 Can't write the manifest and scripts at ${join(out, 'jail')}: no space left on device \\(fix: .*\\)$`));
    expect(readdirSync(join(out, 'jail')).filter((n) => n.startsWith('.mkjail-staging'))).toEqual([]);
    expect(readFileSync(join(out, 'jail/root/etc/version'), 'utf8')).toBe('one\n');
    expect(readFileSync(join(out, 'jail/manifest.json'))).toEqual(manifest);
  });

  it('stops in one line on a read-only file system, for a new jail and for a rebuild, and changes nothing', async () => {
    mount('size=1m');
    expect((await build({})).exitCode).toBe(0);
    execFileSync('mount', ['-o', 'remount,ro', out]);
    const rebuild = await build({ version: '2' });
    expect(rebuild.exitCode).toBe(3);
    expect(rebuild.stderr).toMatch(/^mkjail build: Can't write .*: read-only file system \(fix: .*\)$/);
    expect(readFileSync(join(out, 'jail/root/etc/version'), 'utf8')).toBe('one\n');
    const fresh = await mkjail(['build', join(scratch, 'recipe.ts'), '--out', join(out, 'other'), '--json']);
    expect(fresh.exitCode).toBe(3);
    expect(fresh.stderr).toBe(`mkjail build: Can't write the output directory at ${join(out, 'other')}: read-only file system (fix: fix the file system holding ${join(out, 'other')} (space, read-only, permissions), then build again; what was staged is removed and the old jail is unchanged)`);
    expect(existsSync(join(out, 'other'))).toBe(false);
  });

  it('refuses a jail with /dev/null on a nodev file system before writing anything', async () => {
    mount('size=1m,nodev');
    const result = await build({ dev: 'yes' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      `mkjail build: Can't build jail tree at ${join(out, 'jail')}: ${out} is mounted nodev, so the jail's device nodes (/dev/null) could not be opened (fix: build on a file system mounted without nodev (or remount it), or build a tar with --tar FILE; nothing was written)`,
    );
    expect(readdirSync(out)).toEqual([]);
    expect((await build({ dev: 'no' })).exitCode).toBe(0);
  });
});

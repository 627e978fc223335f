// A build whose output is on a file system that can't keep Unix owners, modes or symlinks ends in one
// line, exit 3, with nothing written. The real case is FAT: an image made by mkfs.vfat, mounted with
// fusefat (FAT in user space; this kernel has no vfat module, and the probe does not care which driver
// refuses). fusefat answers chown, chmod and symlink with ENOSYS and, being FUSE, mounts nodev: the line
// must name what the file system can't keep, not the nodev that is only the first thing a jail would meet.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['mkfs.vfat', 'fusefat', 'mount', 'umount', 'getent'], packages: 'dosfstools fusefat' });

/** With `user=yes`, a jail with nobody's writable directory; with `dev=yes`, /dev/null. */
const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  vars: { user: 'no', dev: 'no' },
  recipe: (vars) => ({
    name: 'fat',
    files: [{ from: './version.txt', to: '/etc/version' }],
    devices: vars.dev === 'yes' ? ['null' as const] : [],
    ...(vars.user === 'yes'
      ? { user: 'nobody', group: 'nogroup', writable: [{ path: '/var/lib/fat', owner: 'nobody', group: 'nogroup', mode: '0700', why: 'state' }] }
      : {}),
  }),
});
`;

const FIX = '(fix: build on a file system that keeps Unix owners, modes and symlinks (ext4, xfs, btrfs, tmpfs; not FAT, exFAT or NTFS), or write the jail as a tar with --tar FILE and keep --out on such a file system; nothing was written)';

describe.skipIf(!ok)('a build onto a FAT file system', () => {
  let scratch: string;
  let fat: string;
  let mounted = false;
  const build = (out: string, set: Record<string, string>, extra: string[] = []) =>
    mkjail(['build', join(scratch, 'recipe.ts'), '--out', out, ...Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`]), '--json', ...extra]);

  beforeEach(() => {
    scratch = makeScratch('fat-output-');
    fat = join(scratch, 'fat');
    mkdirSync(fat);
    writeFileSync(join(scratch, 'recipe.ts'), RECIPE);
    writeFileSync(join(scratch, 'version.txt'), 'one\n');
    execFileSync('truncate', ['-s', '8M', join(scratch, 'fat.img')]);
    execFileSync('mkfs.vfat', [join(scratch, 'fat.img')], { stdio: 'ignore' });
    execFileSync('fusefat', ['-o', 'rw+', join(scratch, 'fat.img'), fat], { stdio: 'ignore' });
    mounted = true;
  });
  afterEach(() => {
    if (mounted) execFileSync('umount', [fat]);
    mounted = false;
    removeScratch(scratch);
  });

  it('is a FAT file system that refuses owners, modes and symlinks, as the checks below assume', () => {
    expect(readFileType(fat)).toBe('fuse.fusefat');
    writeFileSync(join(fat, 'probe'), '');
    for (const [command, args] of [['chown', ['65534:65534']], ['chmod', ['0640']]] as const) {
      expect(() => execFileSync(command, [...args, join(fat, 'probe')], { stdio: 'pipe' })).toThrow(/Function not implemented/);
    }
    expect(() => execFileSync('ln', ['-s', 'probe', join(fat, 'link')], { stdio: 'pipe' })).toThrow(/Function not implemented/);
  });

  it('refuses a jail with a service user in one line naming the file owners it can not keep, and writes nothing', async () => {
    const out = join(fat, 'jail');
    const result = await build(out, { user: 'yes', dev: 'yes' });
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('');
    const uid = execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim();
    const gid = execFileSync('getent', ['group', 'nogroup'], { encoding: 'utf8' }).split(':')[2];
    expect(result.stderr).toBe(
      `mkjail build: Can't build jail tree at ${out}/root: the fuse.fusefat file system mounted at ${fat} can't keep file owners (chown to ${uid}:${gid}: function not implemented) ${FIX}`,
    );
    expect(readdirSync(fat)).toEqual([]);
  });

  it('refuses a root-only jail naming the modes it can not keep, and leaves an existing empty DIR as it was', async () => {
    const out = join(fat, 'jail');
    mkdirSync(out);
    const result = await build(out, { dev: 'yes' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      `mkjail build: Can't build jail tree at ${out}/root: the fuse.fusefat file system mounted at ${fat} can't keep file modes (chmod 0640: function not implemented) ${FIX}`,
    );
    expect(readdirSync(fat)).toEqual(['jail']);
    expect(readdirSync(out)).toEqual([]);
  });

  it('writes a tar onto it, but not the manifest and scripts of --out', async () => {
    const onFat = await build(join(fat, 'out'), {}, ['--tar', join(fat, 'jail.tar')]);
    expect(onFat.exitCode).toBe(3);
    expect(onFat.stderr).toBe(
      `mkjail build: Can't build the manifest and scripts in ${join(fat, 'out')}: the fuse.fusefat file system mounted at ${fat} can't keep file modes (chmod 0640: function not implemented) (fix: keep --out, which holds the manifest and scripts, on a file system that keeps Unix modes (ext4, xfs, btrfs, tmpfs; not FAT, exFAT or NTFS); the tar itself may go on any file system; nothing was written)`,
    );
    expect(readdirSync(fat)).toEqual([]);
    const tarOnly = await build(join(scratch, 'out'), {}, ['--tar', join(fat, 'jail.tar')]);
    expect(tarOnly.exitCode).toBe(0);
    expect(execFileSync('tar', ['-tf', join(fat, 'jail.tar')], { encoding: 'utf8' })).toContain('./etc/version');
  });
});

/** The type /proc/self/mounts gives the mount at `point`. */
function readFileType(point: string): string | undefined {
  const mounts = execFileSync('cat', ['/proc/self/mounts'], { encoding: 'utf8' });
  return mounts.split('\n').map((l) => l.split(' ')).findLast((f) => f[1] === point)?.[2];
}

// --tar: the same jail as a reproducible archive. Byte-identical whoever builds it and wherever the recipe
// and the output live; owners and /dev/null live in the headers, so an ordinary user can build it, and
// GNU tar run as root extracts exactly the tree the manifest describes.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, lstatSync, lchownSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/plan/manifest.js';
import { runBuild } from '../../src/stage/run-build.js';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { REPO_ROOT, mkjail } from '../helpers/cli.js';
import { mkjailForOthers } from '../helpers/mkjail-for-others.js';
import { prerequisites } from '../helpers/prereq.js';
import { tmpScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['setpriv', 'tar', 'chroot', 'getent'], packages: 'util-linux tar coreutils' });
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

describe.skipIf(!ok)('a jail built as a tar', () => {
  const scratch = tmpScratch('mkjail-tar-', ok);
  const asRoot = join(scratch, 'root-build');
  const asUser = join(scratch, 'user-build');
  const forNobody = ok ? mkjailForOthers() : undefined;
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
    forNobody?.cleanup();
  });

  /** Builds recipes/id.ts, copied to `place`, as root with --tar. */
  const buildTar = async (place: string, env: Record<string, string> = {}) => {
    mkdirSync(place, { recursive: true });
    copyFileSync(`${REPO_ROOT}recipes/id.ts`, join(place, 'id.ts'));
    const result = await mkjail(['build', join(place, 'id.ts'), '--out', join(place, 'out'), '--tar', join(place, 'id.tar'), '--json'], { env });
    expect(result.exitCode, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { changed: boolean; tar: string };
  };

  beforeAll(async () => {
    chmodSync(scratch, 0o755);
    await buildTar(asRoot);
    mkdirSync(asUser, { recursive: true });
    chownSync(asUser, 65534, 65534);
    copyFileSync(`${REPO_ROOT}recipes/id.ts`, join(asUser, 'id.ts'));
    chownSync(join(asUser, 'id.ts'), 65534, 65534);
    execFileSync('setpriv', [...NOBODY, process.execPath, forNobody?.bin ?? '', 'build', join(asUser, 'id.ts'), '--out', join(asUser, 'out'), '--tar', join(asUser, 'id.tar'), '--json'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: asUser },
      cwd: asUser,
    });
  });

  it('is byte-identical when built by root and by an ordinary user, from recipes in different places', () => {
    const a = readFileSync(join(asRoot, 'id.tar'));
    const b = readFileSync(join(asUser, 'id.tar'));
    expect(a.length % 10240).toBe(0);
    expect(a.equals(b)).toBe(true);
  });

  it('reports changed: false when built again with the same inputs', async () => {
    expect(await buildTar(asRoot)).toMatchObject({ changed: false });
  });

  it('lists numeric owners, one mtime and /dev/null as a character device', () => {
    const listing = execFileSync('tar', ['-tvf', join(asUser, 'id.tar'), '--numeric-owner', '--full-time', '--no-recursion', './dev/null', './usr/bin/id', './'], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    });
    expect(listing).toBe(
      [
        'dr-xr-xr-x 0/0               0 1970-01-01 00:00:00 ./',
        'crw-rw-rw- 0/0             1,3 1970-01-01 00:00:00 ./dev/null',
        `-r-xr-xr-x 0/0 ${String(readFileSync('/usr/bin/id').length).padStart(15)} 1970-01-01 00:00:00 ./usr/bin/id`,
        '',
      ].join('\n'),
    );
  });

  it('extracts, by GNU tar as root, to exactly the tree the manifest describes, and the program runs', () => {
    const target = join(scratch, 'extracted');
    mkdirSync(target);
    execFileSync('tar', ['-xpf', join(asUser, 'id.tar'), '-C', target]);
    const manifest = readManifest(join(asUser, 'out', 'manifest.json'));
    expect(verifyJail(target, manifest)).toEqual([]);
    const { user, uid, group, gid } = manifest.identity ?? { user: '', uid: -1, group: '', gid: -1 };
    expect(user).toBe('mkjail-id');
    const output = execFileSync('chroot', [`--userspec=${uid}:${gid}`, `--groups=${gid}`, target, '/usr/bin/id'], { encoding: 'utf8' });
    expect(output).toBe(`uid=${uid}(${user}) gid=${gid}(${group}) groups=${gid}(${group})\n`);
  });

  it('honours SOURCE_DATE_EPOCH as the mtime of every entry', async () => {
    const place = join(scratch, 'epoch');
    expect(await buildTar(place, { SOURCE_DATE_EPOCH: '1700000000' })).toMatchObject({ changed: true, tar: join(place, 'id.tar') });
    const listing = execFileSync('tar', ['-tvf', join(place, 'id.tar'), '--numeric-owner', '--full-time', '--no-recursion', './'], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    expect(listing).toBe('dr-xr-xr-x 0/0               0 2023-11-14 22:13:20 ./\n');
  });

  it('refuses a malformed SOURCE_DATE_EPOCH with exit code 2 and writes nothing', async () => {
    const place = join(scratch, 'bad-epoch');
    mkdirSync(place);
    copyFileSync(`${REPO_ROOT}recipes/id.ts`, join(place, 'id.ts'));
    const result = await mkjail(['build', join(place, 'id.ts'), '--out', join(place, 'out'), '--tar', join(place, 'id.tar')], { env: { SOURCE_DATE_EPOCH: '2024-01-01' } });
    expect(result).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: "mkjail build: Can't use SOURCE_DATE_EPOCH at the environment: '2024-01-01' is not a number of seconds since 1970 (fix: set it to a whole number such as 1700000000, or unset it)",
    });
    expect(execFileSync('ls', ['-A', place], { encoding: 'utf8' })).toBe('id.ts\n');
  });

  it('never follows a symlink planted at its staging name in a directory others can write', async () => {
    const shared = join(scratch, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const victim = join(scratch, 'victim');
    writeFileSync(victim, 'secret\n', { mode: 0o600 });
    const staging = join(shared, `.mkjail-staging-${process.pid}-id.tar`);
    symlinkSync(victim, staging);
    lchownSync(staging, 65534, 65534);
    const quiet = async <T>(_title: string, work: () => T | Promise<T>) => work();
    const result = await runBuild({ recipe: `${REPO_ROOT}recipes/id.ts`, out: join(scratch, 'planted-out'), tar: join(shared, 'id.tar') }, quiet);
    expect(result.changed).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('secret\n');
    expect(lstatSync(join(shared, 'id.tar')).isFile()).toBe(true);
    expect(readFileSync(join(shared, 'id.tar')).equals(readFileSync(join(asRoot, 'id.tar')))).toBe(true);
    expect(execFileSync('ls', ['-A', shared], { encoding: 'utf8' })).toBe('id.tar\n');
  });

  it('refuses a tree build by an ordinary user with exit code 3', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync('setpriv', [...NOBODY, process.execPath, forNobody?.bin ?? '', 'build', join(asUser, 'id.ts'), '--out', join(asUser, 'tree'), '--json'], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: asUser },
        cwd: asUser,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      status = (error as { status: number }).status;
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect({ status, stderr }).toEqual({
      status: 3,
      stderr: `mkjail build: Can't build jail tree at ${join(asUser, 'tree')}: not running as root (ownership and /dev/null need root) (fix: run as root, or build a tar with --tar FILE (no root needed))\n`,
    });
  });
});

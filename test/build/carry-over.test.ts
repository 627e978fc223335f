// A rebuild carries the service's data over from the old jail's writable directories without ever
// following a symlink the service made: no host file is chmodded or copied in, setuid and setgid bits
// are dropped, and a planned path the service replaced keeps the service's data.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isMkjailError } from '../../src/errors.js';
import { readManifest } from '../../src/plan/manifest.js';
import { runBuild } from '../../src/stage/run-build.js';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { mkjail } from '../helpers/cli.js';

const ok = prerequisites({ root: true, commands: ['getent', 'mknod', 'perl', 'mkfifo', 'python3', 'mount', 'umount'] });

const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  vars: { version: '1' },
  recipe: (vars) => ({
    name: 'carry',
    files: [{ from: \`./v\${vars.version}.txt\`, to: '/etc/version' }, { from: './seed.txt', to: '/var/lib/carry/seed.txt' }],
    dirs: ['/var/lib/carry/planned'],
    user: 'nobody',
    group: 'nogroup',
    writable: [{ path: '/var/lib/carry', owner: 'nobody', group: 'nogroup', mode: '0700', why: 'the service keeps its state here' }],
  }),
});
`;
const FILES = { 'v1.txt': 'one\n', 'v2.txt': 'two\n', 'seed.txt': 'seed\n' };
const NOBODY = 65534;
const TIME = new Date('2024-05-06T07:08:09Z');

/** type, mode, owner, mtime and content (or link target) of every path below `dir`, never following a link. */
function listData(dir: string, path = ''): string[] {
  const stats = lstatSync(join(dir, path));
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
  const type = stats.isDirectory() ? 'd' : stats.isFile() ? 'f' : stats.isSymbolicLink() ? 'l' : stats.isFIFO() ? 'p' : stats.isSocket() ? 's' : '?';
  const what = stats.isFile() ? JSON.stringify(readFileSync(join(dir, path), 'utf8')) : stats.isSymbolicLink() ? `-> ${readlinkSync(join(dir, path))}` : '';
  const time = stats.isDirectory() ? '' : ` ${stats.mtime.toISOString()}`;
  const line = `${type} ${mode} ${stats.uid}:${stats.gid} /${path}${time} ${what}`.trimEnd();
  if (!stats.isDirectory()) return [line];
  return [line, ...readdirSync(join(dir, path)).sort().flatMap((name) => listData(dir, path ? `${path}/${name}` : name))];
}

/** Writes a file as the service would: owned by nobody, with `mode` and a fixed mtime. */
function serviceFile(path: string, text: string, mode: number): void {
  writeFileSync(path, text);
  chownSync(path, NOBODY, NOBODY);
  chmodSync(path, mode);
  utimesSync(path, TIME, TIME);
}

function serviceSymlink(target: string, path: string): void {
  symlinkSync(target, path);
  lchownSync(path, NOBODY, NOBODY);
}

describe.skipIf(!ok)('a rebuild carrying the service data over', () => {
  let jail: BuiltJail;
  let state: string;
  beforeEach(async () => {
    jail = await buildJail(RECIPE, { files: FILES });
    state = join(jail.root, 'var/lib/carry');
  });
  afterEach(() => jail?.cleanup());

  it('never changes a host file that the service put a symlink to in place of a planned file', async () => {
    const secret = join(jail.scratch, 'secret');
    writeFileSync(secret, 'host secret\n', { mode: 0o600 });
    rmSync(join(state, 'seed.txt'));
    serviceSymlink(secret, join(state, 'seed.txt'));
    const linkTime = lstatSync(join(state, 'seed.txt')).mtime.toISOString();
    const result = await jail.rebuild({ set: { version: '2' } });
    expect([result.changed, (lstatSync(secret).mode & 0o7777).toString(8), lstatSync(secret).uid]).toEqual([true, '600', 0]);
    expect(listData(state)).toEqual([
      'd 0700 65534:65534 /',
      'd 0555 0:0 /planned',
      `l 0777 65534:65534 /seed.txt ${linkTime} -> ${secret}`,
    ]);
    expect(verifyJail(jail.root, readManifest(join(jail.dir, 'manifest.json')), { loadCheck: false })).toEqual([
      { kind: 'type', path: '/var/lib/carry/seed.txt', expected: 'file', found: 'symlink' },
    ]);
  });

  it('rebuilds when the service replaced a planned directory with a symlink to a host directory, leaving that directory alone', async () => {
    const hostDir = join(jail.scratch, 'host-dir');
    mkdirSync(hostDir, { mode: 0o700 });
    writeFileSync(join(hostDir, 'private'), 'host data\n', { mode: 0o600 });
    rmSync(join(state, 'planned'), { recursive: true });
    serviceSymlink(hostDir, join(state, 'planned'));
    const result = await jail.rebuild({ set: { version: '2' } });
    expect([result.changed, (lstatSync(hostDir).mode & 0o7777).toString(8), lstatSync(hostDir).uid]).toEqual([true, '700', 0]);
    expect(readlinkSync(join(state, 'planned'))).toBe(hostDir);
    expect(lstatSync(join(state, 'planned')).isSymbolicLink()).toBe(true);
  });

  it('copies files, directories, symlinks and FIFOs with their owners, modes (without setuid and setgid) and times, and skips sockets', async () => {
    serviceFile(join(state, 'zone.jnl'), 'journal\n', 0o640);
    serviceFile(join(state, 'shell'), '#!/bin/sh\n', 0o6755);
    mkdirSync(join(state, 'slaves'));
    serviceFile(join(state, 'slaves', 'db.example'), 'zone\n', 0o600);
    chownSync(join(state, 'slaves'), NOBODY, NOBODY);
    chmodSync(join(state, 'slaves'), 0o2750);
    serviceSymlink('/etc', join(state, 'host-etc'));
    serviceSymlink('zone.jnl', join(state, 'latest'));
    execFileSync('mkfifo', ['-m', '0620', join(state, 'pipe')]);
    lchownSync(join(state, 'pipe'), NOBODY, NOBODY);
    utimesSync(join(state, 'pipe'), TIME, TIME);
    execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', join(state, 'control')]);
    const linkTime = (name: string) => lstatSync(join(state, name)).mtime.toISOString();
    const times = { hostEtc: linkTime('host-etc'), latest: linkTime('latest') };
    await jail.rebuild({ set: { version: '2' } });
    expect(listData(state)).toEqual([
      'd 0700 65534:65534 /',
      `l 0777 65534:65534 /host-etc ${times.hostEtc} -> /etc`,
      `l 0777 65534:65534 /latest ${times.latest} -> zone.jnl`,
      `p 0620 65534:65534 /pipe ${TIME.toISOString()}`,
      'd 0555 0:0 /planned',
      `f 0444 0:0 /seed.txt ${lstatSync(join(state, 'seed.txt')).mtime.toISOString()} "seed\\n"`,
      `f 0755 65534:65534 /shell ${TIME.toISOString()} "#!/bin/sh\\n"`,
      'd 0750 65534:65534 /slaves',
      `f 0600 65534:65534 /slaves/db.example ${TIME.toISOString()} "zone\\n"`,
      `f 0640 65534:65534 /zone.jnl ${TIME.toISOString()} "journal\\n"`,
    ]);
  });
});

describe.skipIf(!ok)('a rebuild that cannot copy the service data', () => {
  let scratch: string;
  let out: string;
  beforeEach(() => {
    scratch = makeScratch('carry-full-');
    out = join(scratch, 'out');
    mkdirSync(out);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', out]);
  });
  afterEach(() => {
    execFileSync('umount', [out]);
    removeScratch(scratch);
  });

  it('stops with exit 3 and one line naming both sizes when the data would not fit, before staging, leaving the old jail as it was', async () => {
    writeFileSync(join(scratch, 'recipe.ts'), RECIPE);
    for (const [name, text] of Object.entries(FILES)) writeFileSync(join(scratch, name), text);
    const build = (version: string) => runBuild({ recipe: join(scratch, 'recipe.ts'), out, set: { version } });
    await build('1');
    const big = join(out, 'root/var/lib/carry/big.jnl');
    serviceFile(big, 'x'.repeat(700_000), 0o600);
    const failure = await build('2').catch((error: unknown) => error);
    // The data carried over counts: the new tree with a copy of big.jnl can't fit beside the old one.
    expect(isMkjailError(failure) ? [failure.exitCode, failure.toLine()] : failure).toEqual([
      3,
      expect.stringMatching(new RegExp(`^Can't build jail tree at ${join(out, 'root')}: it needs \\d+ bytes and the file system holding ${out} has \\d+ bytes free \\(fix: .*\\)$`)),
    ]);
    expect([readFileSync(join(out, 'root/etc/version'), 'utf8'), lstatSync(big).size]).toEqual(['one\n', 700_000]);
    expect(readdirSync(out).filter((n) => n.startsWith('.mkjail-staging'))).toEqual([]);
  });
});

describe.skipIf(!ok)('a rebuild of a jail with a file system mounted in its writable directory', () => {
  let jail: BuiltJail;
  let mounted: string | undefined;
  beforeEach(async () => {
    jail = await buildJail(RECIPE, { files: FILES });
  });
  afterEach(() => {
    if (mounted) execFileSync('umount', [mounted]);
    mounted = undefined;
    jail?.cleanup();
  });

  it('copies nothing from the mount, and leaves it and its files alone when removing the old tree (exit 3 until it is unmounted)', async () => {
    const mountPoint = join(jail.root, 'var/lib/carry/spool');
    mkdirSync(mountPoint);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', mountPoint]);
    mounted = mountPoint;
    writeFileSync(join(mountPoint, 'mounted.txt'), 'on another file system\n');
    const failure = await jail.rebuild({ set: { version: '2' } }).catch((error: unknown) => error);
    const oldTree = readdirSync(jail.dir).find((name) => name.startsWith('.mkjail-staging-')) ?? '';
    mounted = join(jail.dir, oldTree, 'var/lib/carry/spool');
    expect(isMkjailError(failure) ? [failure.exitCode, failure.message] : failure).toEqual([
      3,
      `Can't remove tree at ${join(jail.dir, oldTree)}: rm failed (rm: skipping '${mounted}', since it's on a different device)`,
    ]);
    expect([readFileSync(join(jail.root, 'etc/version'), 'utf8'), readdirSync(join(jail.root, 'var/lib/carry')).sort()]).toEqual(['two\n', ['planned', 'seed.txt']]);
    expect(readFileSync(join(mounted, 'mounted.txt'), 'utf8')).toBe('on another file system\n');
    execFileSync('umount', [mounted]);
    mounted = undefined;
    const next = await jail.rebuild({ set: { version: '2' } });
    expect([next.changes, readdirSync(jail.dir).filter((name) => name.startsWith('.mkjail-staging-'))]).toEqual([['change /etc/version (sha256, source)', 'write manifest.json', 'write perms.sh'], []]);
  });
});

describe.skipIf(!ok)('a jail whose service nested directories almost as deep as a path can name', () => {
  let jail: BuiltJail;
  const LEVELS = 1900;
  beforeEach(async () => {
    jail = await buildJail(RECIPE, { files: FILES });
    execFileSync('python3', ['-c', `import os\nos.chdir(${JSON.stringify(join(jail.root, 'var/lib/carry'))})\nfor _ in range(${LEVELS}):\n  os.mkdir('d')\n  os.chdir('d')\nopen('leaf', 'w').write('deep\\n')`]);
  });
  afterEach(() => {
    execFileSync('rm', ['-rf', '--one-file-system', '--', join(jail.root, 'var/lib/carry/d')]);
    jail?.cleanup();
  });

  it('carries the whole nest over on a rebuild', async () => {
    const result = await mkjail(['build', jail.recipe, '--out', jail.dir, '--set', 'version=2']);
    expect([result.exitCode, result.stderr.split('\n').filter((l) => l.includes("Can't") || l.includes('Error'))]).toEqual([0, []]);
    expect(readFileSync(join(jail.root, `var/lib/carry${'/d'.repeat(LEVELS)}/leaf`), 'utf8')).toBe('deep\n');
  });
});

describe.skipIf(!ok)('a jail whose service nested directories deeper than a path can name', () => {
  let jail: BuiltJail;
  const LEVELS = 5678;
  beforeEach(async () => {
    jail = await buildJail(RECIPE, { files: FILES });
    // Made as the service could: one level at a time, each relative to the last.
    execFileSync('python3', ['-c', `import os\nos.chdir(${JSON.stringify(join(jail.root, 'var/lib/carry'))})\nfor _ in range(${LEVELS}):\n  os.mkdir('d')\n  os.chdir('d')`]);
  });
  afterEach(() => {
    execFileSync('rm', ['-rf', '--one-file-system', '--', join(jail.root, 'var/lib/carry/d')]);
    jail?.cleanup();
  });

  it('stops build, verify and audit with exit 3 and one line naming the nest, never a stack trace', async () => {
    const nest = `${jail.root}/var/lib/carry${'/d'.repeat(LEVELS)}`.slice(0, 200);
    const line = (command: string) =>
      `mkjail ${command}: Can't read tree entry at ${nest}…: a directory nest deeper than a path can name (ENAMETOOLONG) (fix: remove the nest (GNU rm -rf --one-file-system removes any depth) or move it out of the jail, then run again)`;
    const results = [
      await mkjail(['build', jail.recipe, '--out', jail.dir, '--set', 'version=2']),
      await mkjail(['verify', jail.dir]),
      await mkjail(['audit', jail.dir]),
    ];
    expect(results.map((r) => [r.exitCode, r.stderr.trim().split('\n').at(-1)])).toEqual([
      [3, line('build')],
      [3, line('verify')],
      [3, line('audit')],
    ]);
    expect(readFileSync(join(jail.root, 'etc/version'), 'utf8')).toBe('one\n');
  });
});

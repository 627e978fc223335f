import { chmodSync, lchownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, execaSync } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderPermsScript, symbolicMode } from '../../src/artifacts/perms-script.js';
import { readTree } from '../../src/fs/read-tree.js';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { type Fixture, hostIds, makeFixture, sampleEntries, SERVICE } from '../verify/jail-fixture.js';

const ok = prerequisites({ root: true, commands: ['mknod', 'getent', 'find', 'setpriv', 'mount', 'awk'] });

/** Mode and owner of every path under `root`, by an independent oracle: GNU find's -printf. */
function findMetadata(root: string): Map<string, string> {
  const out = execaSync('find', [root, '-printf', '%P\\t%#m\\t%U:%G\\0'], { stripFinalNewline: false }).stdout;
  const rows = out.split('\0').filter((row) => row !== '');
  return new Map(
    rows.map((row) => {
      const [path = '', mode = '', owner = ''] = row.split('\t');
      return [`/${path}`.replace(/^\/$/, '/'), `${mode.replace(/^0(?=\d{4})/, '')} ${owner}`];
    }),
  );
}

/** Gives every path of the tree a pseudo-random owner and mode (setuid, setgid and sticky included). */
function scramble(root: string, seed: number): void {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  const owners = [0, 1, 1000, 65534];
  for (const entry of readTree(root)) {
    const host = entry.path === '/' ? root : join(root, entry.path);
    lchownSync(host, owners[next() % 4] as number, owners[next() % 4] as number);
    if (entry.type !== 'symlink') chmodSync(host, next() % 0o10000);
  }
}

function runPerms(fixture: Fixture, args: string[], options: { user?: string } = {}) {
  const script = join(fixture.dir, 'perms.sh');
  if (!options.user) return execa('sh', [script, ...args], { reject: false, cwd: tmpdir() });
  // The scratch directory is 0700: an unprivileged user gets the script on stdin.
  const user = ['setpriv', `--reuid=${options.user}`, `--regid=${options.user}`, '--clear-groups'];
  return execa(user[0] as string, [...user.slice(1), 'sh', '-s', '--', ...args], { reject: false, cwd: '/', inputFile: script });
}

describe.skipIf(!ok)('perms.sh, run with sh (dash) on a real jail tree', () => {
  let jail: Fixture;
  const at = (path: string) => join(jail.root, path);
  beforeEach(() => {
    jail = makeFixture();
    writeFileSync(join(jail.dir, 'perms.sh'), renderPermsScript(jail.manifest));
  });
  afterEach(() => jail.cleanup());

  it('restores exactly the manifest metadata on a scrambled copy, leaving service data alone', async () => {
    writeFileSync(at('/var/cache/svc/cache.db'), 'data written by the service\n');
    lchownSync(at('/var/cache/svc/cache.db'), 1, 1);
    chmodSync(at('/var/cache/svc/cache.db'), 0o640);
    writeFileSync(at('/etc/leftover'), 'not in the manifest\n');
    const before = findMetadata(jail.root);
    scramble(jail.root, 7);
    lchownSync(at('/var/cache/svc/cache.db'), 1, 1);
    chmodSync(at('/var/cache/svc/cache.db'), 0o640);
    expect(findMetadata(jail.root)).not.toEqual(before);

    const result = await runPerms(jail, []);
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(result.stdout).toBe(`perms.sh: set owner and mode of 16 paths in ${jail.root}`);

    const expected = new Map(jail.manifest.entries.map((e) => [e.path, `${e.type === 'symlink' ? '0777' : e.mode} ${e.uid}:${e.gid}`]));
    expected.set('/var/cache/svc/cache.db', '0640 1:1');
    expected.set('/etc/leftover', '0400 0:0');
    expect(findMetadata(jail.root)).toEqual(expected);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([{ kind: 'extra', path: '/etc/leftover', expected: 'nothing', found: 'file' }]);
  });

  it('restores the manifest from many different scrambles, including setgid directories', async () => {
    for (const seed of [1, 2, 3]) {
      scramble(jail.root, seed);
      chmodSync(at('/usr'), 0o2755);
      expect(verifyJail(jail.root, jail.manifest)).not.toEqual([]);
      const result = await runPerms(jail, [jail.root]);
      expect(result.exitCode).toBe(0);
      expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    }
  });

  it('sets a writable file itself, and leaves a manifest file below a writable directory as the service left it', async () => {
    jail.cleanup();
    const { uid, gid } = hostIds(SERVICE);
    jail = makeFixture([
      ...sampleEntries(),
      { type: 'file', path: '/etc/zone.db', mode: '0600', uid, gid, content: 'zone\n', reasons: [{ kind: 'writable', why: 'dynamic updates' }] },
      { type: 'file', path: '/var/cache/svc/keys', mode: '0600', uid, gid, content: 'key\n', reasons: [{ kind: 'config', by: '/usr/sbin/svc', what: 'keys' }] },
    ]);
    writeFileSync(join(jail.dir, 'perms.sh'), renderPermsScript(jail.manifest));
    scramble(jail.root, 11);
    lchownSync(at('/var/cache/svc/keys'), 1000, 1000);
    chmodSync(at('/var/cache/svc/keys'), 0o4640);
    const result = await runPerms(jail, []);
    expect(result.exitCode).toBe(0);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    expect(findMetadata(jail.root).get('/etc/zone.db')).toBe(`0600 ${uid}:${gid}`);
    expect(findMetadata(jail.root).get('/var/cache/svc/keys')).toBe('4640 1000:1000');
  });

  it('refuses to run when the service user has another uid on the host than at build time', async () => {
    const { gid } = hostIds(SERVICE);
    const manifest = { ...jail.manifest, identity: { user: SERVICE, uid: 4242, group: SERVICE, gid } };
    writeFileSync(join(jail.dir, 'perms.sh'), renderPermsScript(manifest));
    chmodSync(at('/etc/passwd'), 0o666);
    const result = await runPerms(jail, []);
    expect({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
      exitCode: 3,
      stdout: '',
      stderr: `perms.sh: Can't set permissions of the jail at ${jail.root}: passwd entry ${SERVICE} has id ${hostIds(SERVICE).uid} on this host, the jail was built for id 4242 (fix: rebuild the jail with mkjail build)`,
    });
    expect(findMetadata(jail.root).get('/etc/passwd')).toBe('0666 0:0');
  });

  it('refuses to run when the service group no longer exists on the host', async () => {
    const manifest = { ...jail.manifest, identity: { user: SERVICE, uid: hostIds(SERVICE).uid, group: 'no-such-group-here', gid: 4343 } };
    writeFileSync(join(jail.dir, 'perms.sh'), renderPermsScript(manifest));
    const result = await runPerms(jail, []);
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 3,
      stderr: `perms.sh: Can't set permissions of the jail at ${jail.root}: group entry no-such-group-here does not exist on this host, the jail was built for id 4343 (fix: create it with id 4343, or rebuild the jail with mkjail build)`,
    });
  });

  it('refuses to run when an owner or group of a writable path has another id on the host, or is gone, changing nothing', async () => {
    const withOwner = (owner: string, uid: number, group: string, gid: number) => ({
      ...jail.manifest,
      writable: jail.manifest.writable.map((w) => ({ ...w, owner, group })),
      entries: jail.manifest.entries.map((e) => (e.path === '/var/cache/svc' ? { ...e, uid, gid } : e)),
    });
    chmodSync(at('/etc/passwd'), 0o666);
    const results = [];
    for (const manifest of [withOwner('nobody', 4242, 'nogroup', 65534), withOwner('nobody', 65534, 'no-such-group-here', 4343)]) {
      writeFileSync(join(jail.dir, 'perms.sh'), renderPermsScript(manifest));
      const result = await runPerms(jail, []);
      results.push({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr });
    }
    expect(results).toEqual([
      {
        exitCode: 3,
        stdout: '',
        stderr: `perms.sh: Can't set permissions of the jail at ${jail.root}: passwd entry nobody has id 65534 on this host, the jail was built for id 4242 (fix: rebuild the jail with mkjail build)`,
      },
      {
        exitCode: 3,
        stdout: '',
        stderr: `perms.sh: Can't set permissions of the jail at ${jail.root}: group entry no-such-group-here does not exist on this host, the jail was built for id 4343 (fix: create it with id 4343, or rebuild the jail with mkjail build)`,
      },
    ]);
    expect(findMetadata(jail.root).get('/etc/passwd')).toBe('0666 0:0');
  });

  it('refuses an empty JAIL_ROOT, /, a file, a symlink and two arguments, changing nothing', async () => {
    const link = join(jail.dir, 'link');
    symlinkSync(jail.root, link);
    const cases: [string[], string][] = [
      [[''], "Can't set permissions of a jail at '': JAIL_ROOT is empty (fix: pass the jail's root directory)"],
      [['/'], "Can't set permissions of a jail at /: that is the host's root (fix: pass the jail's root directory)"],
      [['//.'], "Can't set permissions of a jail at /: that is the host's root (fix: pass the jail's root directory)"],
      [[at('/etc/passwd')], `Can't set permissions of a jail at ${at('/etc/passwd')}: not a directory (fix: pass the jail's root directory)`],
      [[link], `Can't set permissions of a jail at ${link}: it is a symlink (fix: pass the directory it points to)`],
      [['a', 'b'], "Can't set permissions of a jail: expected at most one JAIL_ROOT, got 2 (fix: sh perms.sh [JAIL_ROOT])"],
    ];
    for (const [args, message] of cases) {
      const result = await runPerms(jail, args);
      expect({ args, exitCode: result.exitCode, stderr: result.stderr }).toEqual({ args, exitCode: 2, stderr: `perms.sh: ${message}` });
    }
  });

  it('refuses to run while a file system is mounted inside the jail', async () => {
    execaSync('mount', ['-t', 'tmpfs', '-o', 'mode=0777', 'none', at('/var/cache/svc')]);
    try {
      const result = await runPerms(jail, []);
      expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
        exitCode: 3,
        stderr: `perms.sh: Can't set permissions of the jail at ${jail.root}: ${at('/var/cache/svc')} is a mount point inside it (fix: stop the service and unmount it)`,
      });
      expect(findMetadata(at('/var/cache/svc')).get('/')).toBe('0777 0:0');
    } finally {
      execaSync('umount', [at('/var/cache/svc')]);
    }
  });

  it('refuses to run as a user other than root', async () => {
    const result = await runPerms(jail, [jail.root], { user: '65534' });
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 3,
      stderr: "perms.sh: Can't set permissions of a jail: not root (fix: run it as root)",
    });
  });

  it('changes nothing when a path is missing, and never follows a symlink planted in place of a file', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'mkjail-outside-'));
    try {
      writeFileSync(join(outside, 'secret'), 'host secret\n');
      chmodSync(join(outside, 'secret'), 0o600);
      unlinkSync(at('/etc/passwd'));
      symlinkSync(join(outside, 'secret'), at('/etc/passwd'));
      chmodSync(at('/usr/sbin/svc'), 0o4777);
      const result = await runPerms(jail, []);
      expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
        exitCode: 1,
        stderr: `perms.sh: Can't set permissions of ./etc/passwd at ${jail.root}: missing or not of type f (fix: rebuild the jail with mkjail build; mkjail verify lists the drift)`,
      });
      expect(findMetadata(outside).get('/secret')).toBe('0600 0:0');
      expect(findMetadata(jail.root).get('/usr/sbin/svc')).toBe('4777 0:0');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('never descends into a directory replaced by a symlink to the host', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'mkjail-outside-'));
    try {
      mkdirSync(join(outside, 'lib'));
      writeFileSync(join(outside, 'lib', 'libsvc.so.1'), 'not really a library\n');
      chmodSync(join(outside, 'lib', 'libsvc.so.1'), 0o604);
      rmSync(at('/usr/lib'), { recursive: true });
      symlinkSync(join(outside, 'lib'), at('/usr/lib'));
      const result = await runPerms(jail, []);
      expect(result.exitCode).toBe(1);
      expect(findMetadata(outside).get('/lib/libsvc.so.1')).toBe('0604 0:0');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('the text of perms.sh', () => {
  it.skipIf(!ok)('says why each group of paths is in the jail, with each relaxation and its why', () => {
    const fixture = makeFixture();
    const script = renderPermsScript(fixture.manifest);
    fixture.cleanup();
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain(`  # --- needed by /usr/sbin/svc via default ---
  # /lib (root:root symlink): libsvc.so.1, needed by /usr/sbin/svc via default
  entry l +0:+0 0777 ./lib
  # /usr/lib/libsvc.so.1 (root:root r--r--r--): libsvc.so.1, needed by /usr/sbin/svc via default
  entry f +0:+0 0444 ./usr/lib/libsvc.so.1
`);
    const { uid, gid } = hostIds(SERVICE);
    expect(script).toContain(`  # --- writable by the service (the data inside is the service's own) ---
  # /var/cache/svc (${SERVICE}:${SERVICE} rwx------): writable: the service keeps its cache here
  entry d +${uid}:+${gid} 0700 ./var/cache/svc
`);
    expect(script).toContain(`  # /etc/new\\nline (root:${SERVICE} r--r-----): listed in the recipe's files
  entry f +0:+${gid} 0440 './etc/new
line'
`);
    expect(script).toContain(`entry f +0:+0 0444 './etc/it'\\''s a "quoted" name.conf'`);
    expect(script).toContain("find -P . -xdev \\( -path ./var/cache/svc \\) -prune -o -type d -exec chmod -- 00500 {} +\n");
  });

  it('writes modes as ls does', () => {
    expect(['0555', '4755', '2750', '1777', '0000', '6644'].map((mode) => symbolicMode({ type: 'file', mode }))).toEqual([
      'r-xr-xr-x', 'rwsr-xr-x', 'rwxr-s---', 'rwxrwxrwt', '---------', 'rwSr-Sr--',
    ]);
  });
});

// A jail tree built as root: owners and modes follow the jail rules, /dev holds only null, the identity
// files are minimal, and a second build with the same inputs touches nothing.
import { createHash } from 'node:crypto';
import { appendFileSync, chownSync, lstatSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent', 'mknod', 'perl'] });

const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'tree-test',
  files: [{ from: './data.txt', to: '/etc/tree-test/data.txt' }, { from: './tool.sh', to: '/usr/bin/tool' }],
  dirs: ['/var/empty'],
  user: 'nobody',
  group: 'nogroup',
  writable: [{ path: '/var/lib/tree-test', owner: 'nobody', group: 'nogroup', mode: '0750', why: 'the service keeps its state here' }],
});
`;

/** type, mode, owner of every path of a tree, like `find -printf '%y %m %U:%G %p'`. */
function listTree(root: string, path = '/'): string[] {
  const stats = lstatSync(join(root, path));
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
  const type = stats.isDirectory() ? 'd' : stats.isFile() ? 'f' : stats.isSymbolicLink() ? 'l' : stats.isCharacterDevice() ? 'c' : '?';
  const line = `${type} ${mode} ${stats.uid}:${stats.gid} ${path}`;
  if (!stats.isDirectory()) return [line];
  const children = readdirSync(join(root, path)).sort();
  return [line, ...children.flatMap((name) => listTree(root, path === '/' ? `/${name}` : `${path}/${name}`))];
}

describe.skipIf(!ok)('a jail tree built as root', () => {
  let jail: BuiltJail;
  beforeAll(async () => {
    jail = await buildJail(RECIPE, { files: { 'data.txt': 'some data\n', 'tool.sh': { text: '#!/bin/sh\necho tool\n', mode: 0o4755 } } });
  });
  afterAll(() => jail?.cleanup());

  it('gives every path root ownership and the tightest mode, except the declared writable path', () => {
    expect(listTree(jail.root)).toEqual([
      'd 0555 0:0 /',
      'd 0111 0:0 /dev',
      'c 0666 0:0 /dev/null',
      'd 0555 0:0 /etc',
      'f 0444 0:0 /etc/group',
      'f 0444 0:0 /etc/passwd',
      'd 0555 0:0 /etc/tree-test',
      'f 0444 0:0 /etc/tree-test/data.txt',
      'd 0555 0:0 /usr',
      'd 0555 0:0 /usr/bin',
      'f 0555 0:0 /usr/bin/tool',
      'd 0555 0:0 /var',
      'd 0555 0:0 /var/empty',
      'd 0555 0:0 /var/lib',
      'd 0750 65534:65534 /var/lib/tree-test',
    ]);
  });

  it('never copies the setuid bit of a host file', () => {
    expect((lstatSync(join(jail.scratch, 'tool.sh')).mode & 0o7777).toString(8)).toBe('4755');
    expect((lstatSync(join(jail.root, 'usr/bin/tool')).mode & 0o7777).toString(8)).toBe('555');
  });

  it('copies files (a new inode with one link), never hard-links them to the host file', () => {
    const host = lstatSync(join(jail.scratch, 'data.txt'));
    const copy = lstatSync(join(jail.root, 'etc/tree-test/data.txt'));
    expect([copy.ino === host.ino, copy.nlink, host.nlink]).toEqual([false, 1, 1]);
  });

  it('makes /dev/null the character device 1,3', () => {
    const stats = lstatSync(join(jail.root, 'dev/null'));
    expect([stats.isCharacterDevice(), Math.floor(stats.rdev / 256), stats.rdev % 256]).toEqual([true, 1, 3]);
  });

  it('writes etc/passwd and etc/group with only root and the service identity, no passwords, no shell', () => {
    expect(readFileSync(join(jail.root, 'etc/passwd'), 'utf8')).toBe(
      'root:x:0:0:root:/:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n',
    );
    expect(readFileSync(join(jail.root, 'etc/group'), 'utf8')).toBe('root:x:0:\nnogroup:x:65534:\n');
  });

  it('records every entry in the manifest with its reasons', () => {
    const byPath = Object.fromEntries(jail.manifest.entries.map((e) => [e.path, e]));
    expect(Object.keys(byPath)).toEqual(listTree(jail.root).map((line) => line.split(' ')[3]));
    expect(byPath['/etc/tree-test/data.txt']).toEqual({
      type: 'file',
      path: '/etc/tree-test/data.txt',
      mode: '0444',
      uid: 0,
      gid: 0,
      size: 10,
      sha256: createHash('sha256').update('some data\n').digest('hex'),
      source: join(jail.scratch, 'data.txt'),
      reasons: [{ kind: 'recipe', field: 'files.0' }],
    });
    expect(byPath['/var/lib/tree-test']).toEqual({
      type: 'dir', path: '/var/lib/tree-test', mode: '0750', uid: 65534, gid: 65534,
      reasons: [{ kind: 'writable', why: 'the service keeps its state here' }],
    });
    expect(byPath['/dev/null']?.reasons).toEqual([{ kind: 'device', why: 'the service opens /dev/null (the only device a jail needs)' }]);
    expect(jail.manifest.identity).toEqual({ user: 'nobody', uid: 65534, group: 'nogroup', gid: 65534 });
    expect(jail.manifest.writable).toEqual([
      { path: '/var/lib/tree-test', owner: 'nobody', group: 'nogroup', mode: '0750', why: 'the service keeps its state here' },
    ]);
  });

  it('writes manifest.json and perms.sh (0700) beside the jail, outside it', () => {
    expect((lstatSync(join(jail.dir, 'perms.sh')).mode & 0o7777).toString(8)).toBe('700');
    expect(lstatSync(join(jail.dir, 'manifest.json')).isFile()).toBe(true);
    expect(readdirSync(jail.root)).not.toContain('manifest.json');
  });

  it('reports changed: false on a second build and touches no inode', async () => {
    const before = listTree(jail.root).map((line) => {
      const path = line.split(' ')[3] as string;
      const s = lstatSync(join(jail.root, path));
      return `${path} ${s.ino} ${s.mtimeMs} ${s.ctimeMs}`;
    });
    const dirBefore = lstatSync(jail.dir);
    const result = await jail.rebuild();
    expect(result.changed).toBe(false);
    expect(result.changes).toEqual([]);
    const after = listTree(jail.root).map((line) => {
      const path = line.split(' ')[3] as string;
      const s = lstatSync(join(jail.root, path));
      return `${path} ${s.ino} ${s.mtimeMs} ${s.ctimeMs}`;
    });
    expect(after).toEqual(before);
    expect(lstatSync(jail.dir).mtimeMs).toBe(dirBefore.mtimeMs);
  });

  it('rewrites only the manifest and scripts when a recipe edit changes no entry, keeping every inode of the tree', async () => {
    const before = listTree(jail.root).map((line) => `${line} ${lstatSync(join(jail.root, line.split(' ')[3] as string)).ino}`);
    appendFileSync(jail.recipe, '// a comment changes the recipe hash, not the jail\n');
    const result = await jail.rebuild();
    expect([result.changed, result.changes]).toEqual([true, ['change manifest.json (identity, writable, run or recipe)', 'write manifest.json', 'write perms.sh']]);
    expect(listTree(jail.root).map((line) => `${line} ${lstatSync(join(jail.root, line.split(' ')[3] as string)).ino}`)).toEqual(before);
  });
});

/** Whether `uid`:`gid` (no supplementary groups) can read `path` on the host, as `cat` run by them. */
function readableBy(uid: number, gid: number, path: string): boolean {
  return execaSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'cat', path], { reject: false, cwd: '/' }).exitCode === 0;
}

const PRIVATE_FILES = {
  'key.txt': { text: 'secret key\n', mode: 0o640 },
  'tool.sh': { text: '#!/bin/sh\necho private tool\n', mode: 0o750 },
  'public.txt': { text: 'for everyone\n', mode: 0o644 },
};

/** A recipe copying the three files above from `dir`, with or without a service identity. */
function privateRecipe(identity: string, dir = '.'): string {
  return `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'private-files',
  files: [{ from: '${dir}/key.txt', to: '/etc/key' }, { from: '${dir}/tool.sh', to: '/usr/bin/tool' }, { from: '${dir}/public.txt', to: '/etc/public' }],${identity}
});
`;
}

/** The three files above in a scratch directory of their own, owned by `uid`:`gid` on the host. */
function privateHostFiles(uid: number, gid: number): string {
  const dir = makeScratch('private-');
  for (const [name, file] of Object.entries(PRIVATE_FILES)) {
    writeFileSync(join(dir, name), file.text, { mode: file.mode });
    chownSync(join(dir, name), uid, gid);
  }
  return dir;
}

describe.skipIf(!ok)('a host file that others cannot read, in a jail built as root', () => {
  const jails: BuiltJail[] = [];
  const scratches: string[] = [];
  afterAll(() => {
    for (const jail of jails) jail.cleanup();
    for (const dir of scratches) removeScratch(dir);
  });

  it('is readable by root and the service group only (0440, programs 0550) when the service can read it on the host', async () => {
    const dir = privateHostFiles(0, 65534);
    scratches.push(dir);
    const jail = await buildJail(privateRecipe("\n  user: 'nobody',\n  group: 'nogroup',", dir));
    jails.push(jail);
    expect(listTree(jail.root).filter((line) => /\/(key|public|tool)$/.test(line))).toEqual([
      'f 0440 0:65534 /etc/key',
      'f 0444 0:0 /etc/public',
      'f 0550 0:65534 /usr/bin/tool',
    ]);
    expect(['/etc/key', '/usr/bin/tool', '/etc/public'].map((path) => [path, readableBy(65534, 65534, join(jail.root, path)), readableBy(1, 1, join(jail.root, path))])).toEqual([
      ['/etc/key', true, false],
      ['/usr/bin/tool', true, false],
      ['/etc/public', true, true],
    ]);
    expect(jail.result.warnings).toEqual([]);
    // Clean but for the one warning every jail of nobody gets (it shares its uid with other services).
    const audit = await mkjail(['audit', '--json', jail.dir]);
    expect({ exitCode: audit.exitCode, findings: (JSON.parse(audit.stdout).findings as Array<{ rule: string; path: string }>).map((f) => `${f.rule}:${f.path}`) }).toEqual({ exitCode: 1, findings: ['shared-service-user:/etc/passwd'] });
  });

  it('stays readable by root only (0400, programs 0500), with a warning, when the service cannot read it on the host', async () => {
    const jail = await buildJail(privateRecipe("\n  user: 'nobody',\n  group: 'nogroup',"), { files: PRIVATE_FILES });
    jails.push(jail);
    expect(listTree(jail.root).filter((line) => /\/(key|public|tool)$/.test(line))).toEqual([
      'f 0400 0:0 /etc/key',
      'f 0444 0:0 /etc/public',
      'f 0500 0:0 /usr/bin/tool',
    ]);
    expect(readableBy(65534, 65534, join(jail.root, '/etc/key'))).toBe(false);
    const why = (path: string, field: string) =>
      `host file ${join(jail.scratch, path)} (recipe field ${field}) is private on the host and the service user nobody can't read it there: the jail keeps it for root alone (0400 or 0500 root:root); if the service needs it, give it to the service on the host (chgrp nogroup)`;
    expect(jail.result.warnings).toEqual([why('key.txt', 'files.0'), why('tool.sh', 'files.1')]);
  });

  it('is readable by root only (0400, programs 0500) when the recipe has no service identity', async () => {
    const jail = await buildJail(privateRecipe(''), { files: PRIVATE_FILES });
    jails.push(jail);
    expect(listTree(jail.root).filter((line) => /\/(key|public|tool)$/.test(line))).toEqual([
      'f 0400 0:0 /etc/key',
      'f 0444 0:0 /etc/public',
      'f 0500 0:0 /usr/bin/tool',
    ]);
    expect(readableBy(1, 1, join(jail.root, '/etc/key'))).toBe(false);
  });
});

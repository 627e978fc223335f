import { createHash } from 'node:crypto';
import { chmodSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deviceNumbers, hashEntry, observeEntry, readEntryStart, readTree } from '../../src/fs/read-tree.js';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ root: true, commands: ['mknod', 'mkfifo', 'mount'] });

describe.skipIf(!ok)('readTree, lstat only', () => {
  let scratch: string;
  let root: string;
  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mkjail-tree-'));
    root = join(scratch, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), 'daemon:x:1:1::/:/usr/sbin/nologin\n');
    lchownSync(join(root, 'etc', 'passwd'), 0, 1);
    chmodSync(join(root, 'etc', 'passwd'), 0o4640);
    symlinkSync('/etc/shadow', join(root, 'etc', 'shadow'));
    lchownSync(join(root, 'etc', 'shadow'), 1, 1);
    mkdirSync(join(root, 'dev'));
    execaSync('mknod', [join(root, 'dev', 'null'), 'c', '1', '3']);
    execaSync('mkfifo', [join(root, 'dev', 'fifo')]);
    for (const [path, mode] of [['dev', 0o755], ['etc', 0o755], ['dev/null', 0o644], ['dev/fifo', 0o644]] as const) chmodSync(join(root, path), mode);
    chmodSync(root, 0o555);
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('lists every object with its type, mode, owner, size, link text and device numbers, sorted by path', () => {
    const entries = readTree(root).map(({ dev, ino, nlink, ...rest }) => {
      expect([typeof dev, typeof ino, nlink > 0]).toEqual(['number', 'number', true]);
      return rest;
    });
    const dirSize = lstatSync(root).size;
    expect(entries).toEqual([
      { path: '/', type: 'dir', mode: '0555', uid: 0, gid: 0, size: dirSize },
      { path: '/dev', type: 'dir', mode: '0755', uid: 0, gid: 0, size: lstatSync(join(root, 'dev')).size },
      { path: '/dev/fifo', type: 'fifo', mode: '0644', uid: 0, gid: 0, size: 0 },
      { path: '/dev/null', type: 'chardev', mode: '0644', uid: 0, gid: 0, size: 0, major: 1, minor: 3 },
      { path: '/etc', type: 'dir', mode: '0755', uid: 0, gid: 0, size: lstatSync(join(root, 'etc')).size },
      { path: '/etc/passwd', type: 'file', mode: '4640', uid: 0, gid: 1, size: 34 },
      { path: '/etc/shadow', type: 'symlink', mode: '0777', uid: 1, gid: 1, size: 11, target: '/etc/shadow' },
    ]);
  });

  it('hashes a file, and refuses to hash one that was swapped for a symlink after it was observed', () => {
    const entry = observeEntry(root, '/etc/passwd');
    if (!entry) throw new Error('no /etc/passwd');
    expect(hashEntry(root, entry)).toBe(createHash('sha256').update('daemon:x:1:1::/:/usr/sbin/nologin\n').digest('hex'));
    expect(readEntryStart(root, entry, 6).toString()).toBe('daemon');
    unlinkSync(join(root, 'etc', 'passwd'));
    symlinkSync('/etc/passwd', join(root, 'etc', 'passwd'));
    expect(() => hashEntry(root, entry)).toThrow(`Can't read file at ${root}/etc/passwd: it was replaced while being read`);
    writeFileSync(join(root, 'etc', 'other'), 'daemon:x:1:1::/:/usr/sbin/nologin\n');
    expect(() => hashEntry(root, { ...entry, path: '/etc/other' })).toThrow(`Can't read file at ${root}/etc/other: it was replaced while being read`);
  });

  it('reads a root that is a symlink as one symlink, never the directory it points to', () => {
    const link = join(scratch, 'link');
    symlinkSync(root, link);
    expect(readTree(link).map((e) => [e.path, e.type, e.target])).toEqual([['/', 'symlink', root]]);
  });

  it('records a file name that is not UTF-8 under an escaped name', () => {
    chmodSync(root, 0o755);
    writeFileSync(Buffer.concat([Buffer.from(`${root}/etc/bad-`), Buffer.from([0xff, 0x0a])]), 'x');
    expect(readTree(root).filter((e) => e.path.startsWith('/etc/bad')).map((e) => [e.path, e.type, e.size])).toEqual([
      ['/etc/bad-\\xff\\x0a', 'file', 1],
    ]);
  });

  it('decodes device numbers beyond 8 bits the way glibc encodes them', () => {
    execaSync('mknod', [join(root, 'dev', 'big'), 'c', '300', '70000']);
    expect(observeEntry(root, '/dev/big')).toMatchObject({ type: 'chardev', major: 300, minor: 70000 });
    expect(deviceNumbers(lstatSync(join(root, 'dev', 'null')).rdev)).toEqual({ major: 1, minor: 3 });
  });

  it('lists a mount point inside the tree but not what is mounted on it, unless asked to cross', () => {
    chmodSync(root, 0o755);
    mkdirSync(join(root, 'mnt'));
    execaSync('mount', ['-t', 'tmpfs', 'none', join(root, 'mnt')]);
    try {
      writeFileSync(join(root, 'mnt', 'host-data'), 'x');
      expect(readTree(root).filter((e) => e.path.startsWith('/mnt')).map((e) => e.path)).toEqual(['/mnt']);
      expect(readTree(root, { oneFileSystem: false }).filter((e) => e.path.startsWith('/mnt')).map((e) => e.path)).toEqual(['/mnt', '/mnt/host-data']);
    } finally {
      execaSync('umount', [join(root, 'mnt')]);
    }
  });

  it('reports a missing tree as one clean error', () => {
    expect(() => readTree(join(scratch, 'nope'))).toThrow(`Can't read tree at ${scratch}/nope: no such directory`);
  });
});

// The observed metadata of a directory tree, read with lstat only: no symlink is ever followed, so a
// link inside the tree to /etc/shadow is recorded as a link and the host's file is never read.
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { EXIT, MkjailError, errnoCode } from '../errors.js';
import { modeOf } from './host-trust.js';
import { hostPath } from './path-in-root.js';
import { forEachChunk } from './read-chunks.js';

/** Every kind of object lstat can report. The manifest uses the first four; the rest are always drift. */
export const OBSERVED_TYPES = ['dir', 'file', 'symlink', 'chardev', 'blockdev', 'fifo', 'socket'] as const;
export type ObservedType = (typeof OBSERVED_TYPES)[number];

/** One object of the tree as it is on disk. */
export interface ObservedEntry {
  /** Absolute path inside the tree: "/" is the tree's root. */
  path: string;
  type: ObservedType;
  /** Permission bits (with setuid, setgid, sticky) as a 4-digit octal string, like the manifest's. */
  mode: string;
  uid: number;
  gid: number;
  size: number;
  /** The link text of a symlink, as written (never resolved). */
  target?: string;
  /** Device numbers of a character or block device. */
  major?: number;
  minor?: number;
  /** The file system and inode: a hash is only trusted if the opened file is this same object. */
  dev: number;
  ino: number;
  nlink: number;
}

export interface ReadTreeOptions {
  /** Do not descend into directories on another file system than the root (like `find -xdev`). Default true. */
  oneFileSystem?: boolean;
}

/** Reads the tree at `root` (a host path); returns its entries sorted by path, the root ("/") first. */
export function readTree(root: string, options: ReadTreeOptions = {}): ObservedEntry[] {
  const oneFileSystem = options.oneFileSystem ?? true;
  const top = observeEntry(root, '/');
  if (!top) throw new MkjailError(`Can't read tree at ${oneLine(root)}: no such directory`, { hint: 'check the path' });
  const entries: ObservedEntry[] = [top];
  const pending = top.type === 'dir' ? ['/'] : [];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    for (const raw of listDirectory(root, dir)) {
      const name = raw.toString('utf8');
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      if (!Buffer.from(name, 'utf8').equals(raw)) {
        // Not UTF-8, so never a manifest path: recorded under an escaped name, and not descended into.
        const host = Buffer.concat([Buffer.from(`${hostPath(root, dir)}/`), raw]);
        const entry = observeHostPath(host, `${dir === '/' ? '' : dir}/${escapeName(raw)}`);
        if (entry) entries.push(entry);
        continue;
      }
      const entry = observeEntry(root, path);
      if (!entry) continue;
      entries.push(entry);
      if (entry.type === 'dir' && (!oneFileSystem || entry.dev === top.dev)) pending.push(path);
    }
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** lstat of one path inside the tree, or undefined when it does not exist. Never follows a symlink. */
export function observeEntry(root: string, path: string): ObservedEntry | undefined {
  // The root itself without a trailing slash: "root/" would follow a symlink at root.
  return observeHostPath(path === '/' ? root : hostPath(root, path), path);
}

function observeHostPath(host: string | Buffer, path: string): ObservedEntry | undefined {
  let stats: Stats;
  try {
    stats = lstatSync(host);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw unreadable(host, error);
  }
  const type = observedType(stats);
  const entry: ObservedEntry = {
    path,
    type,
    mode: modeOf(stats),
    uid: stats.uid,
    gid: stats.gid,
    size: stats.size,
    dev: stats.dev,
    ino: stats.ino,
    nlink: stats.nlink,
  };
  if (type === 'symlink') entry.target = readLinkText(host);
  if (type === 'chardev' || type === 'blockdev') Object.assign(entry, deviceNumbers(stats.rdev));
  return entry;
}

/**
 * sha256 (hex) of a regular file of the tree, opened with O_NOFOLLOW. The opened object must be the
 * one `entry` observed (same device and inode), so a file swapped for a link in between is refused.
 */
export function hashEntry(root: string, entry: ObservedEntry): string {
  const host = hostPath(root, entry.path);
  let fd: number;
  try {
    fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw errnoCode(error) === 'ELOOP' ? replaced(host) : unreadable(host, error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.ino !== entry.ino || stats.dev !== entry.dev) throw replaced(host);
    return hashDescriptor(fd);
  } finally {
    closeSync(fd);
  }
}

/** The first `length` bytes of a regular file of the tree (O_NOFOLLOW), e.g. to recognise an ELF. */
export function readEntryStart(root: string, entry: ObservedEntry, length: number): Buffer {
  const host = hostPath(root, entry.path);
  try {
    return readStartNoFollow(host, length);
  } catch (error) {
    throw unreadable(host, error);
  }
}

/**
 * Up to `length` bytes from the start of the file at `hostFile`, never through a symlink (O_NOFOLLOW)
 * and never blocking on a FIFO (O_NONBLOCK). Errors are Node's, with their errno code.
 */
export function readStartNoFollow(hostFile: string, length: number): Buffer {
  const fd = openSync(hostFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** glibc's encoding of dev_t: major in bits 8-19 and 44-63, minor in bits 0-7 and 20-43. */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  const high = Math.floor(rdev / 2 ** 32);
  const low = rdev >>> 0;
  return {
    major: (((low >>> 8) & 0xfff) | (high & 0xfffff000)) >>> 0,
    minor: ((low & 0xff) | ((low >>> 12) & 0xfff00) | ((high & 0xfff) << 20)) >>> 0,
  };
}

function observedType(stats: Stats): ObservedType {
  if (stats.isDirectory()) return 'dir';
  if (stats.isFile()) return 'file';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'chardev';
  if (stats.isBlockDevice()) return 'blockdev';
  if (stats.isFIFO()) return 'fifo';
  return 'socket';
}

function listDirectory(root: string, dir: string): Buffer[] {
  const host = hostPath(root, dir);
  try {
    return readdirSync(host, { encoding: 'buffer' }).sort(Buffer.compare);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw unreadable(host, error);
  }
}

function readLinkText(host: string | Buffer): string {
  // readlink(2) reads the link itself; it never follows it.
  try {
    return readlinkSync(host, { encoding: 'buffer' }).toString('utf8');
  } catch (error) {
    throw unreadable(host, error);
  }
}

function hashDescriptor(fd: number): string {
  const hash = createHash('sha256');
  forEachChunk(fd, (chunk) => hash.update(chunk));
  return hash.digest('hex');
}

function replaced(host: string): MkjailError {
  return new MkjailError(`Can't read file at ${oneLine(host)}: it was replaced while being read`, {
    exitCode: EXIT.environment,
    hint: 'stop whatever is changing the tree (the running service) and run again',
  });
}

/** A file name that is not UTF-8, shown with its bytes outside printable ASCII as \\xNN. */
function escapeName(raw: Buffer): string {
  return [...raw].map((byte) => (byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`)).join('');
}

/** A path for an error message: control characters (a newline in a file name) as JSON escapes. */
function oneLine(path: string): string {
  // eslint-disable-next-line no-control-regex
  return path.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

/** How much of a path too long to name an error shows. */
const SHOWN_PATH_CHARS = 200;

function unreadable(host: string | Buffer, error: unknown): unknown {
  const code = errnoCode(error);
  if (code === 'ENAMETOOLONG') {
    const shown = oneLine(String(host));
    return new MkjailError(`Can't read tree entry at ${shown.length > SHOWN_PATH_CHARS ? `${shown.slice(0, SHOWN_PATH_CHARS)}…` : shown}: a directory nest deeper than a path can name (ENAMETOOLONG)`, {
      exitCode: EXIT.environment,
      hint: 'remove the nest (GNU rm -rf --one-file-system removes any depth) or move it out of the jail, then run again',
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new MkjailError(`Can't read tree entry at ${oneLine(String(host))}: permission denied`, {
      exitCode: EXIT.environment,
      hint: 'run as root, with CAP_DAC_READ_SEARCH (a container or setpriv may have taken it): the jail is root-owned and tight',
    });
  }
  return error;
}

// Copies what a service wrote in a writable directory of the old jail into the private staging tree,
// never following a symlink of the old tree: each directory is opened with O_NOFOLLOW and read through
// its descriptor (/proc/self/fd/N/NAME, so only the last component is looked up, in the directory
// already opened), and a service that swaps its directories mid-copy can't lead it into the host. The
// staging side is written through descriptors the same way, so no path grows with the tree's depth.
import { execFileSync } from 'node:child_process';
import {
  type Stats, chmodSync, closeSync, fchmodSync, fchownSync, fstatSync, ftruncateSync, futimesSync, lchownSync, lstatSync,
  lutimesSync, mkdirSync, openSync, readSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeSync,
} from 'node:fs';
import { EXIT, MkjailError, commandWords, errnoCode, errnoWords, isMkjailError } from '../errors.js';
import { below, DIRECTORY_FLAGS, FILE_FLAGS, openDirectoryBelow } from '../fs/open-below.js';

const SETUID_SETGID = 0o6000;
const CHUNK = 1 << 20;
/** The granularity of holes kept in a copy: a file system block. */
const HOLE_BLOCK = 4096;
const ZERO_BLOCK = Buffer.alloc(HOLE_BLOCK);
/** How often an entry may change type under the copy before the build gives up. */
const ATTEMPTS = 3;

/** Where a copy reads from and writes to; `shown` names the old tree's path in messages. */
interface Copy {
  /** A FIFO is made here first (mkfifo takes a string), then renamed to its place. */
  fifoScratch: string;
  shown: string;
  /** The file system of the writable directory: what is mounted below it is not the service's data. */
  dev: number;
}

/**
 * Copies the contents of directory `path` of the jail at `oldRoot` into `destination` (an existing
 * directory of the private staging tree). Regular files, directories, symlinks and FIFOs keep their
 * owner, group, times and mode without setuid/setgid; sockets, devices and whatever is mounted inside
 * (another file system) are skipped. A path that exists at the destination with another type is
 * replaced: the service's data wins.
 */
export function copyServiceData(oldRoot: string, path: string, destination: string, fifoScratch: string): void {
  const shown = `${oldRoot}${path}`;
  const fd = openDirectory(oldRoot, path, shown);
  if (fd === undefined) return;
  try {
    const target = guarded(shown, () => openSync(destination, DIRECTORY_FLAGS));
    try {
      guarded(shown, () => copyContents(fd, target, { fifoScratch, shown, dev: fstatSync(fd).dev }));
      guarded(shown, () => futimesSync(target, fstatSync(fd).atime, fstatSync(fd).mtime));
    } finally {
      closeSync(target);
    }
  } finally {
    closeSync(fd);
  }
}

/** Opens directory `path` below `root` following no symlink; undefined if it is not a real directory. */
function openDirectory(root: string, path: string, shown: string): number | undefined {
  return guarded(shown, () => openDirectoryBelow(root, path));
}

/** A directory being copied: its open source and copy, the names left to copy, and its metadata to set last. */
interface Frame {
  dirFd: number;
  targetFd: number;
  names: Buffer[];
  next: number;
  shown: string;
  /** The source's metadata, applied to the copy once its contents are in; none for the top directory. */
  stats?: Stats;
}

/**
 * Copies every entry of the open directory `dirFd` into the open staging directory `targetFd`, depth
 * first with an explicit stack: a nest thousands of levels deep can't overflow the call stack.
 */
function copyContents(dirFd: number, targetFd: number, copy: Copy): void {
  const stack: Frame[] = [{ dirFd, targetFd, names: listNames(dirFd), next: 0, shown: copy.shown }];
  try {
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      const name = frame.names[frame.next++];
      if (name === undefined) {
        stack.pop();
        finishDirectory(frame);
        continue;
      }
      const shown = `${frame.shown}/${name.toString()}`;
      const child = guarded(shown, () => copyEntry(frame.dirFd, name, below(frame.targetFd, name), { ...copy, shown }));
      if (child) stack.push(child);
    }
  } finally {
    for (const frame of stack) if (frame.stats) closeDirectory(frame);
  }
}

function listNames(dirFd: number): Buffer[] {
  return readdirSync(below(dirFd), { encoding: 'buffer' });
}

/** Sets the copy's owner, mode and times now that its contents are in (not for the top directory), and closes both. */
function finishDirectory(frame: Frame): void {
  const stats = frame.stats;
  if (!stats) return;
  try {
    guarded(frame.shown, () => copyMetadata(frame.targetFd, stats));
  } finally {
    closeDirectory(frame);
  }
}

function closeDirectory(frame: Frame): void {
  closeSync(frame.targetFd);
  closeSync(frame.dirFd);
}

/**
 * Copies one entry of the open directory `dirFd`; looks again when it changed type under the copy. A
 * directory is made and opened, and returned for its contents to be copied.
 */
function copyEntry(dirFd: number, name: Buffer, destination: Buffer, copy: Copy): Frame | undefined {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const source = below(dirFd, name);
    const stats = lstatOrUndefined(source);
    if (!stats) return undefined; // removed by the service meanwhile
    const result = copyByType(source, stats, destination, copy);
    if (result !== 'changed') return typeof result === 'string' ? undefined : result;
  }
  throw new MkjailError(`Can't copy the service's data at ${copy.shown}: it kept changing type while it was copied`, {
    exitCode: EXIT.environment,
    hint: 'stop the service while the jail is rebuilt',
  });
}

type Outcome = 'copied' | 'skipped' | 'changed';

function copyByType(source: Buffer, stats: Stats, destination: Buffer, copy: Copy): Outcome | Frame {
  if (stats.dev !== copy.dev) return 'skipped'; // a mount point: mounted again by whoever mounted it
  if (stats.isDirectory()) return openDirectoryCopy(source, destination, copy);
  if (stats.isFile()) return copyFile(source, destination);
  if (stats.isSymbolicLink()) return copySymlink(source, stats, destination);
  if (stats.isFIFO()) return copyFifo(stats, destination, copy);
  return 'skipped'; // sockets belong to a running process; a service can't make devices
}

/** Opens source directory `source` and its copy at `destination` (made if need be), to copy into. */
function openDirectoryCopy(source: Buffer, destination: Buffer, copy: Copy): 'changed' | Frame {
  const fd = openOrChanged(source, DIRECTORY_FLAGS);
  if (fd === 'changed') return fd;
  let target: number | undefined;
  try {
    const stats = fstatSync(fd);
    if (!lstatOrUndefined(destination)?.isDirectory()) {
      makeRoom(destination);
      mkdirSync(destination, { mode: 0o700 });
    }
    target = openSync(destination, DIRECTORY_FLAGS);
    return { dirFd: fd, targetFd: target, names: listNames(fd), next: 0, shown: copy.shown, stats };
  } catch (error) {
    if (target !== undefined) closeSync(target);
    closeSync(fd);
    throw error;
  }
}

function copyFile(source: Buffer, destination: Buffer): Outcome {
  const fd = openOrChanged(source, FILE_FLAGS);
  if (fd === 'changed') return fd;
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return 'changed';
    makeRoom(destination);
    const out = openSync(destination, 'wx', 0o600);
    try {
      copyBytes(fd, out);
      copyMetadata(out, stats);
    } finally {
      closeSync(out);
    }
    return 'copied';
  } finally {
    closeSync(fd);
  }
}

/** Owner, group, times and mode (without setuid/setgid) of the copy open as `fd`, from the source's `stats`. */
function copyMetadata(fd: number, stats: Stats): void {
  fchownSync(fd, stats.uid, stats.gid);
  fchmodSync(fd, stats.mode & 0o7777 & ~SETUID_SETGID);
  futimesSync(fd, stats.atime, stats.mtime);
}

function copySymlink(source: Buffer, stats: Stats, destination: Buffer): Outcome {
  let target: Buffer;
  try {
    target = readlinkSync(source, { encoding: 'buffer' });
  } catch (error) {
    if (errnoCode(error) === 'EINVAL' || errnoCode(error) === 'ENOENT') return 'changed';
    throw error;
  }
  makeRoom(destination);
  symlinkSync(target, destination);
  lchownSync(destination, stats.uid, stats.gid);
  lutimesSync(destination, stats.atime, stats.mtime);
  return 'copied';
}

function copyFifo(stats: Stats, destination: Buffer, copy: Copy): Outcome {
  makeRoom(destination);
  rmSync(copy.fifoScratch, { force: true });
  execFileSync('mkfifo', ['-m', '0600', '--', copy.fifoScratch], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(copy.fifoScratch, destination);
  lchownSync(destination, stats.uid, stats.gid);
  chmodSync(destination, stats.mode & 0o7777 & ~SETUID_SETGID);
  lutimesSync(destination, stats.atime, stats.mtime);
  return 'copied';
}

/**
 * Copies the bytes of `from` to `to` keeping holes: an all-zero block is skipped by position, not
 * written, and the size is set at the end. A service can't make root write gigabytes it never wrote.
 */
function copyBytes(from: number, to: number): void {
  const buffer = Buffer.allocUnsafe(CHUNK);
  let position = 0;
  for (;;) {
    const read = readSync(from, buffer, 0, CHUNK, position);
    if (read === 0) break;
    writeDataBlocks(to, buffer.subarray(0, read), position);
    position += read;
  }
  ftruncateSync(to, position);
}

/** Writes the runs of blocks of `data` that are not all zero, at `position` onward in `fd`. */
function writeDataBlocks(fd: number, data: Buffer, position: number): void {
  let start = 0;
  while (start < data.length) {
    while (start < data.length && isZeroBlock(data, start)) start += HOLE_BLOCK;
    let end = start;
    while (end < data.length && !isZeroBlock(data, end)) end += HOLE_BLOCK;
    end = Math.min(end, data.length);
    for (let written = start; written < end; ) written += writeSync(fd, data, written, end - written, position + written);
    start = end;
  }
}

function isZeroBlock(data: Buffer, offset: number): boolean {
  const block = data.subarray(offset, offset + HOLE_BLOCK);
  return block.equals(ZERO_BLOCK.subarray(0, block.length));
}

/**
 * Removes what the plan put at `destination` so the service's data can take its place. The staging
 * tree is root's alone (0700) until it is swapped in, so nothing can race this removal.
 */
function makeRoom(destination: Buffer): void {
  rmSync(destination, { recursive: true, force: true });
}

function openOrChanged(source: Buffer, flags: number): number | 'changed' {
  try {
    return openSync(source, flags);
  } catch (error) {
    if (['ELOOP', 'ENOTDIR', 'ENOENT', 'ENXIO'].includes(errnoCode(error) ?? '')) return 'changed';
    throw error;
  }
}

function lstatOrUndefined(path: Buffer): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function guarded<T>(shown: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw isMkjailError(error) ? error : copyError(shown, error);
  }
}

function copyError(shown: string, error: unknown): MkjailError {
  const words = errnoCode(error) ? errnoWords(error) : commandWords(error);
  return new MkjailError(`Can't copy the service's data at ${shown}: ${words}`, {
    exitCode: EXIT.environment,
    hint: 'check the old jail and its file system (space, errors), then build again; the old jail is unchanged',
    cause: error,
  });
}

// Opening paths inside a tree that someone else may be changing (a service's writable directories),
// without ever following a symlink: each directory is opened with O_NOFOLLOW and the next name is
// looked up through its descriptor (/proc/self/fd/N/NAME), so no path name is resolved twice.
import { type Stats, closeSync, constants, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { EXIT, MkjailError, errnoCode } from '../errors.js';
import { forEachChunk } from './read-chunks.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;
export const DIRECTORY_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/** O_NONBLOCK: a FIFO swapped in after an lstat does not block the open. */
export const FILE_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;

/** The largest file `readFileBelow` holds in memory; a bigger one (a sparse file, say) is refused. */
export const MAX_FILE_BYTES = 256 * 2 ** 20;

/** Errors that mean "not there as a real directory or file any more": a missing name or a symlink. */
const GONE = ['ENOENT', 'ENOTDIR', 'ELOOP'];

/** The path of `name` in the open directory `dirFd`, looked up from that directory only. */
export function below(dirFd: number, name?: Buffer): Buffer {
  const dir = Buffer.from(`/proc/self/fd/${dirFd}`);
  return name ? Buffer.concat([dir, Buffer.from('/'), name]) : dir;
}

/**
 * Opens directory `path` (absolute, inside `root`) one component at a time, following none. Returns
 * undefined when some component is missing or not a real directory; other errors are thrown.
 */
export function openDirectoryBelow(root: string, path: string): number | undefined {
  let fd = openSync(root, DIRECTORY_FLAGS);
  for (const name of path.split('/').filter(Boolean)) {
    try {
      const next = openSync(below(fd, Buffer.from(name)), DIRECTORY_FLAGS);
      closeSync(fd);
      fd = next;
    } catch (error) {
      closeSync(fd);
      if (GONE.includes(errnoCode(error) ?? '')) return undefined;
      throw error;
    }
  }
  return fd;
}

/**
 * The bytes of regular file `path` inside `root`, read without following any symlink; undefined if it is
 * not one. `check`, given the open file's fstat, may throw to refuse it before a byte is read.
 */
export function readFileBelow(root: string, path: string, check?: (stats: Stats) => void): Buffer | undefined {
  return withFileBelow(root, path, check, (fd, stats) => {
    if (stats.size > MAX_FILE_BYTES) throw tooLarge(root, path, stats.size);
    const data = Buffer.alloc(stats.size);
    let read = 0;
    while (read < data.length) {
      const n = readSync(fd, data, read, data.length - read, read);
      if (n === 0) break;
      read += n;
    }
    return data.subarray(0, read);
  });
}

/**
 * Like readFileBelow, but passes the bytes to `use` a chunk at a time (forEachChunk: nothing is held,
 * whatever the size); returns the open file's fstat, or undefined if it is not a regular file.
 */
export function readChunksBelow(root: string, path: string, check: ((stats: Stats) => void) | undefined, use: (chunk: Buffer) => void): Stats | undefined {
  return withFileBelow(root, path, check, (fd, stats) => {
    forEachChunk(fd, use);
    return stats;
  });
}

/** Opens regular file `path` inside `root` without following any symlink, checks it, and runs `read` on it. */
function withFileBelow<T>(root: string, path: string, check: ((stats: Stats) => void) | undefined, read: (fd: number, stats: Stats) => T): T | undefined {
  const dirFd = openDirectoryBelow(root, posix.dirname(path));
  if (dirFd === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(below(dirFd, Buffer.from(posix.basename(path))), FILE_FLAGS);
  } catch (error) {
    if (GONE.includes(errnoCode(error) ?? '') || errnoCode(error) === 'ENXIO') return undefined;
    throw error;
  } finally {
    closeSync(dirFd);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return undefined;
    check?.(stats);
    return read(fd, stats);
  } finally {
    closeSync(fd);
  }
}

function tooLarge(root: string, path: string, size: number): MkjailError {
  return new MkjailError(`Can't read writable file at ${root}${path}: it holds ${size} bytes, more than the ${MAX_FILE_BYTES} a writable file may hold`, {
    exitCode: EXIT.environment,
    hint: "shrink or remove it in the old jail, or declare its directory writable instead: a directory's contents are copied, not held in memory",
  });
}

/** True when `path` (absolute, inside `root`) is there, looked at without following any symlink on the way. */
export function existsBelow(root: string, path: string): boolean {
  const dirFd = openDirectoryBelow(root, posix.dirname(path));
  if (dirFd === undefined) return false;
  try {
    lstatSync(below(dirFd, Buffer.from(posix.basename(path))));
    return true;
  } catch (error) {
    if (GONE.includes(errnoCode(error) ?? '')) return false;
    throw error;
  } finally {
    closeSync(dirFd);
  }
}

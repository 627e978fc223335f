// Reading planned host files: every component opened without following a symlink, the file the very
// one the plan saw (same device and inode), and a stamp that says when its bytes can be trusted to
// stay what they were. The plan hashes through here (on worker threads too), the stage copies.
import { createHash } from 'node:crypto';
import { lstatSync, type Stats } from 'node:fs';
import { EXIT, HOST_READ_HINT, MkjailError, errnoWords, isPermissionDenied } from '../errors.js';
import { readChunksBelow, readFileBelow } from '../fs/open-below.js';

/**
 * A planned host file: a path without symlinks, with the device, inode and owner the plan saw there.
 */
export interface HostContent {
  kind: 'host';
  path: string;
  dev: number;
  ino: number;
  uid: number;
  gid: number;
  /**
   * The stamp (device, inode, size, times) of the file whose bytes gave the entry's sha256, when it
   * was stable: a copy that opens a file with this very stamp has those bytes, and need not hash them.
   */
  stamp?: string;
}

/** What a host file hashed to. */
export interface HostDigest {
  size: number;
  sha256: string;
  /** The stamp of the file these bytes came from, when it is stable (see `stampedRead`). */
  stamp: string | undefined;
}

/** Reads and hashes the planned host file `content`. */
export function digestHostFile(content: HostContent): HostDigest {
  const hash = createHash('sha256');
  let size = 0;
  const stamp = readHostChunks(content, (chunk) => {
    hash.update(chunk);
    size += chunk.length;
  });
  return { size, sha256: hash.digest('hex'), stamp };
}

/** Device, inode, size, modification and change times: what any change of a file's bytes changes. */
export function stampOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/**
 * How long a file must have been left alone before its stamp stands for its bytes. The kernel's file
 * times advance in coarse ticks: a write in the very tick a file was read could leave its times as
 * they were (git's "racy" files). A file unchanged for a second before the read is safe from that; a
 * younger one has no stamp, and is hashed again wherever its bytes are used.
 */
const STABLE_MS = 1000;

/**
 * The bytes of a planned host file (see `readHostContent`), and the file's stamp when it is stable: the
 * same before and after the read, and last changed at least STABLE_MS before it.
 */
export function readHostFile(content: HostContent): { data: Buffer; stamp: string | undefined } {
  const stamped = stampedRead(content);
  const data = readHostContent(content, stamped.opened);
  return { data, stamp: stamped.stamp() };
}

/**
 * Passes the bytes of a planned host file to `use` a chunk at a time (checked as `readHostContent`
 * checks, nothing held in memory); returns the file's stamp when it is stable, as readHostFile does.
 * `opened` sees the open file's fstat before a byte is read.
 */
export function readHostChunks(content: HostContent, use: (chunk: Buffer) => void, opened?: (stats: Stats) => void): string | undefined {
  const stamped = stampedRead(content);
  const passOn = (chunk: Buffer) => {
    try {
      use(chunk);
    } catch (error) {
      throw new FailedUse(error);
    }
  };
  hostRead(content, (check) =>
    readChunksBelow('/', content.path, (stats) => {
      check(stats);
      stamped.opened(stats);
      opened?.(stats);
    }, passOn),
  );
  return stamped.stamp();
}

/** What `use` of readHostChunks threw (a write that failed, say): passed on as it is, not as a read error. */
class FailedUse {
  constructor(readonly error: unknown) {}
}

/** The stamp of a host file read now: `opened` takes its fstat; `stamp()` after the read gives it, when stable. */
function stampedRead(content: HostContent): { opened: (stats: Stats) => void; stamp: () => string | undefined } {
  const started = Date.now();
  let before: Stats | undefined;
  return {
    opened: (stats) => {
      before = stats;
    },
    stamp: () => {
      if (!before || Math.max(before.ctimeMs, before.mtimeMs) > started - STABLE_MS) return undefined;
      const stamp = stampOf(before);
      const after = lstatOrUndefined(content.path);
      return after && stampOf(after) === stamp ? stamp : undefined;
    },
  };
}

/** The stamp of a host file whose bytes were hashed to `sha256` by the plan still stands for them now. */
export function stampStillHolds(content: HostContent, stats: Stats): boolean {
  return content.stamp !== undefined && stampOf(stats) === content.stamp;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The bytes of a planned host file, the one place host files are read: every component opened without
 * following a symlink, and the file must be the very one the plan saw (same device and inode).
 */
export function readHostContent(content: HostContent, opened?: (stats: Stats) => void): Buffer {
  return hostRead(content, (check) =>
    readFileBelow('/', content.path, (stats) => {
      check(stats);
      opened?.(stats);
    }),
  );
}

/** Runs `read` of a planned host file with the check that it is the file the plan saw; one clean error for any failure. */
function hostRead<T>(content: HostContent, read: (check: (stats: Stats) => void) => T | undefined): T {
  const changed = () =>
    new MkjailError(`Can't copy host file at ${content.path}: it changed while the jail was being built`, {
      exitCode: EXIT.environment,
      hint: 'build again once the host is quiet (a package upgrade may be running)',
    });
  let result: T | undefined;
  try {
    result = read((stats) => {
      if (stats.dev !== content.dev || stats.ino !== content.ino) throw changed();
    });
  } catch (error) {
    if (error instanceof MkjailError) throw error;
    if (error instanceof FailedUse) throw error.error;
    const denied = isPermissionDenied(error);
    throw new MkjailError(`Can't read host file at ${content.path}: ${errnoWords(error)}`, {
      exitCode: denied ? EXIT.environment : EXIT.badInput,
      hint: denied ? HOST_READ_HINT : 'check the file (an I/O error, a file system that went away), or leave it out of the recipe',
    });
  }
  if (result === undefined) throw changed();
  return result;
}


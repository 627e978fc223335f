// What a build needs of the file system it writes to, checked before anything is written: room for the
// new tree (or tar) and the scripts beside the old ones, and device nodes for a jail that holds some. A
// fault that still happens while writing (another writer filled the disk, the file system went read-only)
// ends in one line, exit 3, once what was staged is removed.
import { type Stats, lstatSync, readdirSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EXIT, MkjailError, errnoCode, errnoWords, isMkjailError } from '../errors.js';
import { hostPath } from '../fs/path-in-root.js';
import type { Manifest } from '../plan/manifest.js';
import { nodevMount } from './mount-options.js';

/** Errors of the file system that are the environment's, not a bug: each becomes one line, exit 3. */
const ENVIRONMENT_CODES = ['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EFBIG', 'ENOSYS', 'ENOTSUP'];

/** Bytes free to this process on the file system holding `path` (or its nearest existing parent). */
export function freeBytes(path: string): { free: number; block: number } {
  const stats = statfsSync(existingParent(path));
  return { free: Number(stats.bavail) * Number(stats.bsize), block: Number(stats.bsize) };
}

/**
 * Bytes a tree of `manifest` takes on a file system with `block`-sized blocks: each file rounded up to
 * whole blocks, a block for each directory, and the service data carried over from `previousRoot`.
 */
export function treeBytes(manifest: Manifest, block: number, previousRoot: string | undefined): number {
  let bytes = 0;
  for (const entry of manifest.entries) {
    if (entry.type === 'file') bytes += roundUp(entry.size, block);
    else if (entry.type === 'dir') bytes += block;
  }
  if (previousRoot) {
    for (const { path } of manifest.writable) {
      if (manifest.writable.some((other) => path.startsWith(`${other.path}/`))) continue;
      bytes += carriedBytes(hostPath(previousRoot, path), block);
    }
  }
  return bytes;
}

/** Refuses a build whose writes would not fit (exit 3): `needed` against what the file system has free. */
export function checkRoom(what: string, dir: string, needed: number): void {
  const { free } = freeBytes(dir);
  if (needed <= free) return;
  throw new MkjailError(`Can't build ${what}: it needs ${needed} bytes and the file system holding ${dir} has ${free} bytes free`, {
    exitCode: EXIT.environment,
    hint: 'free space there or build into another --out; nothing was written and the old jail is unchanged',
  });
}

/** Refuses a jail tree with device nodes on a file system mounted nodev (exit 3): its /dev/null could not be opened. */
export function checkDeviceNodes(dir: string, manifest: Manifest, mounts: string): void {
  if (!manifest.entries.some((e) => e.type === 'chardev')) return;
  const point = nodevMount(dir, mounts);
  if (point === undefined) return;
  throw new MkjailError(`Can't build jail tree at ${dir}: ${point} is mounted nodev, so the jail's device nodes (/dev/null) could not be opened`, {
    exitCode: EXIT.environment,
    hint: 'build on a file system mounted without nodev (or remount it), or build a tar with --tar FILE; nothing was written',
  });
}

/**
 * Runs `write`; when it fails, removes what it staged (`cleanup`) and reports a fault of the file system
 * in one line (exit 3) naming `what` and `where`. The old jail and scripts are never touched here.
 */
export function writingCleanly<T>(what: string, where: string, write: () => T, cleanup: () => void): T {
  try {
    return write();
  } catch (error) {
    try {
      cleanup();
    } catch {
      // The next build removes what is left (a staging name); the fault itself is what to report.
    }
    if (isMkjailError(error)) throw error;
    const code = errnoCode(error);
    if (code === undefined || !ENVIRONMENT_CODES.includes(code)) throw error;
    throw new MkjailError(`Can't write ${what} at ${where}: ${errnoWords(error)}`, {
      exitCode: EXIT.environment,
      hint: `fix the file system holding ${where} (space, read-only, permissions), then build again; what was staged is removed and the old jail is unchanged`,
    });
  }
}

/** `size` rounded up to whole blocks. */
export function roundUp(size: number, block: number): number {
  return Math.ceil(size / block) * block;
}

/** The bytes below `dir` (never through a symlink), rounded to blocks as above. */
function carriedBytes(dir: string, block: number): number {
  let bytes = 0;
  const walk = (path: string): void => {
    let stats: Stats;
    try {
      stats = lstatSync(path);
    } catch {
      return;
    }
    if (stats.isFile()) bytes += roundUp(stats.size, block);
    else if (stats.isDirectory()) {
      bytes += block;
      for (const name of safeReaddir(path)) walk(join(path, name));
    }
  };
  walk(dir);
  return bytes;
}

function safeReaddir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** `path` itself when it exists, else its nearest existing parent: where a build would create it. */
export function existingParent(path: string): string {
  for (let at = path; ; at = dirname(at)) {
    try {
      lstatSync(at);
      return at;
    } catch {
      if (at === '/') return at;
    }
  }
}

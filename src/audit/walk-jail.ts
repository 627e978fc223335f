// Lists every entry of a jail with its lstat metadata, never following a symlink and never descending
// into another file system (a mount under the jail is reported by its own rule, not walked).
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { hostPath } from '../fs/path-in-root.js';
import { EXIT, MkjailError, errnoCode } from '../errors.js';
import { comparePaths } from '../plan/manifest.js';

export const ENTRY_KINDS = ['dir', 'file', 'symlink', 'chardev', 'blockdev', 'fifo', 'socket'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface JailEntry {
  /** Absolute path inside the jail ("/", "/etc/passwd"). */
  path: string;
  /** The same object on the host. */
  host: string;
  kind: EntryKind;
  stats: Stats;
}

/** Every entry below `root` (the root itself first), sorted by path in byte order. */
export function walkJail(root: string): JailEntry[] {
  const rootStats = lstatOrThrow(root);
  if (!rootStats.isDirectory()) {
    throw new MkjailError(`Can't audit jail at ${root}: not a directory`, {
      exitCode: EXIT.badInput,
      hint: 'give the jail root directory, or a directory built by `mkjail build`',
    });
  }
  const entries: JailEntry[] = [{ path: '/', host: root, kind: 'dir', stats: rootStats }];
  const pending = ['/'];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    for (const name of readdirSync(hostPath(root, dir))) {
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      const host = hostPath(root, path);
      const stats = lstatOrThrow(host);
      const entry: JailEntry = { path, host, kind: entryKind(stats), stats };
      entries.push(entry);
      if (entry.kind === 'dir' && stats.dev === rootStats.dev) pending.push(path);
    }
  }
  return entries.sort((a, b) => comparePaths(a.path, b.path));
}

export function entryKind(stats: Stats): EntryKind {
  if (stats.isDirectory()) return 'dir';
  if (stats.isFile()) return 'file';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isCharacterDevice()) return 'chardev';
  if (stats.isBlockDevice()) return 'blockdev';
  if (stats.isFIFO()) return 'fifo';
  return 'socket';
}

function lstatOrThrow(path: string): Stats {
  try {
    return lstatSync(path);
  } catch (error) {
    throw new MkjailError(`Can't read jail entry at ${path}: ${errnoCode(error) ?? String(error)}`, {
      exitCode: errnoCode(error) === 'EACCES' ? EXIT.environment : EXIT.badInput,
      hint: 'run `mkjail audit` as root on a jail that is not being changed',
    });
  }
}

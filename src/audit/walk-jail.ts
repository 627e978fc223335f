// Lists every entry of a jail through the shared tree reader (lstat only, never following a symlink,
// never descending into another file system), with the host path and numeric mode the rules need.
import { type ObservedEntry, type ObservedType, readTree } from '../fs/read-tree.js';
import { hostPath } from '../fs/path-in-root.js';

export type EntryKind = ObservedType;

export interface JailEntry extends ObservedEntry {
  /** The same object on the host. */
  host: string;
  /** Permission bits with setuid, setgid and sticky, as a number (0o4755). */
  bits: number;
}

/** Every entry below `root` (the root itself first), sorted by path in byte order. */
export function walkJail(root: string): JailEntry[] {
  return readTree(root).map((entry) => ({
    ...entry,
    host: entry.path === '/' ? root : hostPath(root, entry.path),
    bits: Number.parseInt(entry.mode, 8),
  }));
}

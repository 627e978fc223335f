// Whether a user other than root can change a host path: a directory they can write (owned by them, or
// group/other-writable without the sticky bit) lets them replace any entry in it, a symlink included.
import { type Stats, statSync } from 'node:fs';
import { posix } from 'node:path';

/** The octal permission bits of `stats`, like "0775". */
export function modeOf(stats: { mode: number }): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Why a user other than root and the one running mkjail can add, remove or replace entries of the directory with `stats` ("is owned by
 * uid 105", "is writable by group or others without the sticky bit (mode 0775)"), or undefined when only
 * root can. A sticky root-owned directory (/tmp) lets others replace only the entries they own.
 */
export function whyOthersCanChangeDirectory(stats: Stats): string | undefined {
  // The user running mkjail (root, or whoever builds a tar) trusts itself: only other owners count.
  if (stats.uid !== 0 && stats.uid !== process.geteuid?.()) return `is owned by uid ${stats.uid}`;
  if ((stats.mode & 0o022) !== 0 && (stats.mode & 0o1000) === 0) return `is writable by group or others without the sticky bit (mode ${modeOf(stats)})`;
  return undefined;
}

/** The first directory from `path`'s parent up to `/` that a non-root user can change, with why. */
export function changeableAncestor(path: string): { dir: string; why: string } | undefined {
  for (let dir = posix.dirname(path); ; dir = posix.dirname(dir)) {
    const why = whyOthersCanChangeDirectory(statSync(dir));
    if (why) return { dir, why };
    if (dir === '/') return undefined;
  }
}

// Whether a user other than root can change a host path: a directory they can write (owned by them, or
// group/other-writable without the sticky bit) lets them replace any entry in it, a symlink included.
// Recipes (code run as root) and root's caches are held to it.
import { type Stats, chmodSync, existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { lstatOrUndefined } from './path-in-root.js';

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

/** Why another user could have written or could replace the file at `path`, or undefined when only root can. */
export type OwnershipProblem =
  | { kind: 'owner'; uid: number; real: string }
  | { kind: 'mode'; mode: string; real: string }
  | { kind: 'directory'; dir: string; why: string };

/**
 * The ownership problem of `path`: not owned by root, writable by group or others, or below a directory
 * a non-root user can change (checked for the path as given and for its real path). A missing path is
 * a problem only when a non-root user could create it.
 */
export function ownershipProblem(path: string): OwnershipProblem | undefined {
  const stats = lstatOrUndefined(path);
  const real = stats ? realpathSync(path) : path;
  const file = stats && (real === path ? stats : statSync(real));
  if (file && file.uid !== 0) return { kind: 'owner', uid: file.uid, real };
  if (file && (file.mode & 0o022) !== 0) return { kind: 'mode', mode: modeOf(file), real };
  for (const candidate of new Set([path, real])) {
    const changeable = changeableAncestor(candidate);
    if (changeable) return { kind: 'directory', ...changeable };
  }
  return undefined;
}

/**
 * `dir`, a cache directory of root's (the transformed recipes, the host files' digests, the loader's
 * answer), when only root can change it; false (no cache) otherwise. With `create`, a missing one is
 * made 0700; without, nothing is created (--check writes nothing).
 */
export function rootOnlyDir(dir: string, create: boolean): string | false {
  try {
    if (create && !existsSync(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      chmodSync(dir, 0o700);
    }
    return existsSync(dir) && ownershipProblem(dir) === undefined ? dir : false;
  } catch {
    return false;
  }
}

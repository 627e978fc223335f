// Resolves paths inside a root directory as if it were `/` (like openat2's RESOLVE_IN_ROOT): symlinks,
// absolute or relative, never lead outside the root, and every symlink crossed is recorded as a fact.
import { lstatSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { EXIT, MkjailError, errnoCode } from '../errors.js';

/** Linux gives up after 40 symlinks in one lookup (ELOOP); so do we. */
const MAX_SYMLINK_HOPS = 40;

/** A symlink crossed on the way: it lives at `path` (absolute, inside the root) and says `target`. */
export interface SymlinkStep {
  path: string;
  target: string;
}

export interface ResolvedInRoot {
  /** The path as asked for (absolute, inside the root). */
  requested: string;
  /** The path with every symlink resolved (absolute, inside the root). */
  real: string;
  /** Every symlink crossed, in the order the kernel would cross them. */
  links: SymlinkStep[];
  /** lstat of the final object (a symlink only when followFinal is false). */
  stats: Stats;
}

/** The host path of `path` (absolute, inside `root`). */
export function hostPath(root: string, path: string): string {
  return root === '/' ? path : posix.join(root, path);
}

/** `path` made absolute and normal ("/a/b", no "." or "..", no trailing slash); ".." stops at "/". */
export function normalizeRootPath(path: string): string {
  const parts: string[] = [];
  for (const name of path.split('/')) {
    if (name === '' || name === '.') continue;
    if (name === '..') parts.pop();
    else parts.push(name);
  }
  return `/${parts.join('/')}`;
}

/**
 * Resolves `path` inside `root`. Returns undefined when some component does not exist (or a non-final
 * component is not a directory). Throws MkjailError on a symlink loop; other I/O errors are rethrown.
 */
export function resolveInRoot(root: string, path: string, options: { followFinal?: boolean } = {}): ResolvedInRoot | undefined {
  const followFinal = options.followFinal ?? true;
  const links: SymlinkStep[] = [];
  let pending = path.split('/');
  let done: string[] = [];
  let stats: Stats | undefined;
  while (pending.length > 0) {
    const name = pending.shift() as string;
    if (name === '' || name === '.') continue;
    if (name === '..') {
      done.pop();
      continue;
    }
    const current = `/${[...done, name].join('/')}`;
    stats = lstatOrUndefined(hostPath(root, current));
    if (!stats) return undefined;
    const isLast = pending.every((p) => p === '' || p === '.');
    if (stats.isSymbolicLink() && (!isLast || followFinal)) {
      if (links.length >= MAX_SYMLINK_HOPS) {
        throw new MkjailError(`Can't resolve ${path} in ${root}: too many symbolic links (a loop at ${current})`, {
          exitCode: EXIT.badInput,
          hint: 'fix the symlink loop',
        });
      }
      const target = readlinkSync(hostPath(root, current));
      links.push({ path: current, target });
      pending = [...target.split('/'), ...pending];
      if (target.startsWith('/')) done = [];
      continue;
    }
    if (!isLast && !stats.isDirectory()) return undefined;
    done.push(name);
  }
  stats ??= lstatOrUndefined(hostPath(root, '/'));
  if (!stats) return undefined;
  return { requested: normalizeRootPath(path), real: `/${done.join('/')}`, links, stats };
}

/** lstat of `path`, or undefined when it (or a directory on its way) does not exist. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * True when host `path` exists (following symlinks, as existsSync does), false when it, or a directory
 * on its way, is missing. Unlike existsSync, a directory on the way that may not be searched is not
 * "missing": its EACCES is thrown, so the build reports permission denied rather than no such file.
 */
export function hostPathExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (error) {
    if (['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG'].includes(errnoCode(error) ?? '')) return false;
    throw error;
  }
}

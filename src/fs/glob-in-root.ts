// glob(3) inside a root, as ldconfig (`include` in ld.so.conf), nginx, named and unbound expand their
// include patterns: `*`, `?` and `[...]` (`[!...]` negated) within one path component, a leading dot
// matched only by a pattern component that starts with one, each directory's names sorted. Symlinks
// are followed inside the root (resolveInRoot), never out of it; an unreadable directory matches nothing.
import { readdirSync } from 'node:fs';
import { posix } from 'node:path';
import { hostPath, resolveInRoot } from './path-in-root.js';

/** True when `path` holds a glob character (`*`, `?` or `[`). */
export function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/**
 * The paths inside `root` that the absolute `pattern` matches, directory by directory in sorted order.
 * A name the last component matches is kept even when it is a dangling symlink: the caller opens it
 * and says why it can't.
 */
export function globInRoot(root: string, pattern: string): string[] {
  let paths = ['/'];
  for (const part of pattern.split('/').filter((p) => p !== '')) {
    if (!isGlob(part)) {
      paths = paths.map((p) => posix.join(p, part));
      continue;
    }
    const matcher = componentRegExp(part);
    paths = paths.flatMap((dir) => namesIn(root, dir).filter((name) => matcher.test(name)).map((name) => posix.join(dir, name)));
  }
  return paths;
}

function namesIn(root: string, dir: string): string[] {
  try {
    const found = resolveInRoot(root, dir);
    return found?.stats.isDirectory() ? readdirSync(hostPath(root, found.real)).sort() : [];
  } catch {
    return [];
  }
}

/** One pattern component as a regular expression; a `[` with no closing `]` is a plain `[`. */
function componentRegExp(part: string): RegExp {
  let source = part.startsWith('.') ? '' : '(?!\\.)';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as string;
    const end = c === '[' ? part.indexOf(']', i + 2) : -1;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (end > 0) {
      const body = part.slice(i + 1, end);
      source += `[${(body.startsWith('!') ? `^${body.slice(1)}` : body).replaceAll('\\', '\\\\')}]`;
      i = end;
    } else source += c.replace(/[.+^${}()|[\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

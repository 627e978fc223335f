// Reads /etc/ld.so.conf inside a root the way ldconfig does: one directory per line (or separated by
// spaces, tabs, commas, colons), '#' comments, `include GLOB...` relative to the including file,
// `hwcap` lines ignored. Globs and symlinks are resolved inside the root; include loops are cut.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { globInRoot } from '../fs/glob-in-root.js';
import { hostPath, normalizeRootPath, resolveInRoot } from '../fs/path-in-root.js';

const MAX_INCLUDE_DEPTH = 16;
/** Real configuration files are a few hundred bytes; a bigger one is not read (bounded memory). */
const MAX_CONF_BYTES = 1 << 20;

/** The library directories configured in `conf` (default /etc/ld.so.conf) inside `root`, in order, unique. */
export function readLdSoConf(root: string, conf = '/etc/ld.so.conf'): string[] {
  const dirs: string[] = [];
  readConfFile(root, conf, dirs, 0, new Set());
  return [...new Set(dirs)];
}

/** Reads one file (each at most once: include loops and repeated includes add nothing new). */
function readConfFile(root: string, path: string, dirs: string[], depth: number, seen: Set<string>): void {
  if (depth > MAX_INCLUDE_DEPTH || seen.has(path)) return;
  seen.add(path);
  const text = readInRoot(root, path);
  if (text === undefined) return;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*/, '').trim();
    if (line === '') continue;
    const include = /^include\s+(.*)$/.exec(line);
    if (include) {
      for (const pattern of (include[1] ?? '').split(/\s+/).filter(Boolean)) {
        const absolute = pattern.startsWith('/') ? pattern : posix.join(posix.dirname(path), pattern);
        for (const file of expandGlob(root, absolute)) readConfFile(root, file, dirs, depth + 1, seen);
      }
      continue;
    }
    if (/^hwcap\s/.test(line)) continue;
    for (const dir of line.split(/[\s,:]+/).filter(Boolean)) dirs.push(normalizeRootPath(dir.replace(/=.*$/, '')));
  }
}

function readInRoot(root: string, path: string): string | undefined {
  try {
    const resolved = resolveInRoot(root, path);
    if (!resolved?.stats.isFile() || resolved.stats.size > MAX_CONF_BYTES) return undefined;
    return readFileSync(hostPath(root, resolved.real), 'utf8');
  } catch {
    return undefined;
  }
}

/** The paths matching `pattern` (absolute; `*`, `?` and `[...]` in any component) inside the root, sorted as glob(3) sorts them. */
export function expandGlob(root: string, pattern: string): string[] {
  return globInRoot(root, pattern).sort();
}

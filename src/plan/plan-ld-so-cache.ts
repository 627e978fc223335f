// Plans the jail's own /etc/ld.so.cache, holding exactly the libraries the host's cache finds outside
// the loader's default directories (which the jail's loader would not find otherwise), with the host
// cache's type word for each; a library the host's cache file does not list is warned about instead.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { type LdSoCache, parseLdSoCache } from '../elf/ld-so-cache.js';
import { CACHE_PATH } from '../resolve/cache-lookup.js';
import type { NeededEdge } from '../resolve/types.js';
import { type CacheFileEntry, ldSoCacheBytes } from './ld-so-cache-bytes.js';
import type { Reason } from './manifest.js';
import type { PlanBuilder } from './plan-builder.js';
import { FILE_MODE, ROOT_GID, ROOT_UID } from './policy.js';

/** A DT_NEEDED edge the host's loader answers from its cache, which a jail without a cache would not. */
export interface CacheOnlyLibrary {
  edge: NeededEdge & { path: string };
}

/** Adds /etc/ld.so.cache for `libraries` (nothing when there are none). */
export function planLdSoCache(plan: PlanBuilder, libraries: readonly CacheOnlyLibrary[], hostCache: LdSoCache | undefined = readHostCache()): void {
  const entries: CacheFileEntry[] = [];
  const reasons: Reason[] = [];
  for (const { edge } of libraries) {
    const flags = hostCache?.entries(edge.soname)?.find((entry) => entry.path === edge.path)?.flags;
    if (flags === undefined) {
      plan.warnings.push(notInHostCacheWarning(edge));
      continue;
    }
    entries.push({ flags, soname: edge.soname, path: edge.path });
    reasons.push({ kind: 'config', by: edge.by, what: `ld.so.cache entry ${edge.soname} => ${edge.path}: the host's cache finds it outside the loader's default directories` });
  }
  if (entries.length === 0) return;
  const data = ldSoCacheBytes(entries);
  const sha256 = createHash('sha256').update(data).digest('hex');
  plan.add({ type: 'file', path: CACHE_PATH, mode: FILE_MODE, uid: ROOT_UID, gid: ROOT_GID, size: data.length, sha256, reasons: uniqueReasons(reasons) }, { kind: 'bytes', data });
}

function notInHostCacheWarning(edge: NeededEdge & { path: string }): string {
  const dir = posix.dirname(edge.path);
  return `${edge.path} (${edge.soname}, needed by ${edge.by}) is found in ${dir} only through the host's ld.so.conf, not a directory the loader searches by default, and the host has no /etc/ld.so.cache listing it to copy into the jail's; it will not load inside the jail: run ldconfig on the host and build again, or relink ${edge.by} with a RUNPATH naming ${dir}`;
}

function uniqueReasons(reasons: Reason[]): Reason[] {
  const seen = new Set<string>();
  return reasons.filter((reason) => {
    const key = JSON.stringify(reason);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function readHostCache(): LdSoCache | undefined {
  try {
    return parseLdSoCache(readFileSync(CACHE_PATH));
  } catch {
    return undefined;
  }
}

// The ld.so.cache step of the search: the root's /etc/ld.so.cache chosen from as glibc's search_cache
// does (elf/dl-cache.c), or, when the root has no cache, what `ldconfig -r ROOT` would put there from
// the directories of ld.so.conf (its system directories are the loader's default step anyway).
import { readFileSync, statSync } from 'node:fs';
import { type CacheEntry, type LdSoCache, parseLdSoCache } from '../elf/ld-so-cache.js';
import { readLdSoConf } from '../elf/ld-so-conf.js';
import type { LoaderAbi } from './loader-abi.js';
import type { RootFiles } from './root-files.js';
import type { LdSoCacheSource } from './types.js';

export const CACHE_PATH = '/etc/ld.so.cache';

type CacheSource = { kind: 'cache'; cache: LdSoCache } | { kind: 'conf'; dirs: string[] } | { kind: 'none' };

export class CacheLookup {
  private source: CacheSource | undefined;

  constructor(
    private readonly files: RootFiles,
    private readonly from: LdSoCacheSource = 'root',
  ) {}

  /**
   * The path the cache step offers for `soname`, or undefined. `fits` says whether a file is an
   * object this loader can use (right class and machine); only the conf fallback needs it.
   */
  find(soname: string, abi: LoaderAbi, fits: (path: string) => boolean): string | undefined {
    const source = this.load();
    switch (source.kind) {
      case 'cache':
        return pickEntry(source.cache.entries(soname), abi);
      case 'conf':
        return source.dirs.map((dir) => `${dir}/${soname}`).find(fits);
      case 'none':
        return undefined;
    }
  }

  private load(): CacheSource {
    if (!this.source) this.source = this.readSource();
    return this.source;
  }

  private readSource(): CacheSource {
    if (this.from === 'none') return { kind: 'none' };
    const found = this.files.file(CACHE_PATH);
    if (!found) return this.from === 'root' ? { kind: 'conf', dirs: readLdSoConf(this.files.root) } : { kind: 'none' };
    const cache = readCacheFile(found.host);
    return cache ? { kind: 'cache', cache } : { kind: 'none' };
  }
}

/** Real caches are well under 1 MiB; a bigger file is treated as no usable cache (bounded memory). */
const MAX_CACHE_BYTES = 64 << 20;

/** Parsed caches by host path, reused while the file's identity, size and mtime stay the same. */
const parsedCaches = new Map<string, { stamp: string; cache: LdSoCache | undefined }>();

function readCacheFile(host: string): LdSoCache | undefined {
  try {
    const stats = statSync(host);
    const stamp = `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    const known = parsedCaches.get(host);
    if (known?.stamp === stamp) return known.cache;
    if (stats.size > MAX_CACHE_BYTES) return undefined;
    const cache = parseLdSoCache(readFileSync(host));
    parsedCaches.set(host, { stamp, cache });
    return cache;
  } catch {
    return undefined;
  }
}

/** glibc search_cache: the best glibc-hwcaps entry, else the first acceptable plain entry. */
export function pickEntry(entries: readonly CacheEntry[] | undefined, abi: LoaderAbi): string | undefined {
  if (!entries) return undefined;
  let best: string | undefined;
  let bestPriority = Number.POSITIVE_INFINITY;
  for (const entry of entries) {
    if (!abi.cacheFlags.includes(entry.flags)) continue;
    if (entry.hwcapsSubdir !== undefined) {
      if (entry.isaLevel !== 0 && !abi.isaLevels.includes(entry.isaLevel)) continue;
      const priority = abi.hwcapsNames.indexOf(entry.hwcapsSubdir);
      if (priority >= 0 && priority < bestPriority) {
        best = entry.path;
        bestPriority = priority;
      }
      continue;
    }
    if ((entry.hwcap & ~abi.legacyAllowed) !== 0n) continue;
    const platformBits = entry.hwcap & (0xfn << 48n);
    if (platformBits !== 0n && platformBits !== abi.platformBit) continue;
    return best ?? entry.path;
  }
  return best;
}

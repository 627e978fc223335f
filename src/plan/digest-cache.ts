// The host files' digests, kept across runs as root in a directory only root can change. A file whose
// stamp (device, inode, size, modification and change times: host-read.ts) is the one it had when it
// was hashed has the same bytes, so a rebuild, or a build of another jail from the same host files,
// hashes only files that changed. Only stable stamps are kept (a file left alone for a second before
// it was read), as within one process. The jail itself is still hashed whole when a build compares it.
// --check reads the digests and writes nothing; a non-root run, or one with MKJAIL_DIGEST_CACHE=off
// (every host file hashed again), neither reads nor writes them.
import { join } from 'node:path';
import { rootOnlyDir } from '../fs/host-trust.js';
import { keepJson, readKeptJson } from '../fs/kept-json.js';
import type { HostDigest } from './host-read.js';
import { knowDigests, knownDigests, takeLearned } from './host-digests.js';

export const DIGEST_CACHE_DIR = '/var/cache/mkjail/digests';
const CACHE_FILE = 'host-files.json';
const FORMAT = 'mkjail-host-digests/1';
/** The most files kept: the least recently hashed or used go first. */
const MAX_FILES = 10_000;

/** The cache of this process: its file, and whether this process may write it; false for none. */
let cache: { file: string; write: boolean } | false | undefined;

/** Reads the kept digests, once a process, when running as root; `write` false (--check) never writes them. */
export function useDigestCache(write: boolean, env: NodeJS.ProcessEnv): void {
  if (cache !== undefined) return;
  const wanted = process.geteuid?.() === 0 && env.MKJAIL_DIGEST_CACHE !== 'off';
  const dir = wanted ? rootOnlyDir(DIGEST_CACHE_DIR, write) : false;
  cache = dir === false ? false : { file: join(dir, CACHE_FILE), write };
  if (cache) knowDigests(readKept(cache.file));
}

/** Keeps what this process has hashed since it last kept (nothing new, as in a no-op rebuild: no write). */
export function keepDigestCache(): void {
  if (!cache || !cache.write || takeLearned() === 0) return;
  const files: Record<string, [string, number, string]> = {};
  for (const [path, digest] of [...knownDigests()].slice(-MAX_FILES)) {
    if (digest.stamp !== undefined) files[path] = [digest.stamp, digest.size, digest.sha256];
  }
  // Should it fail, the next build hashes again what this one learned.
  keepJson(cache.file, FORMAT, { files });
}

/** The digests in `file`, when only root could have written it and it is whole; none otherwise. */
function readKept(file: string): Array<[string, HostDigest]> {
  const files = readKeptJson(file, FORMAT)?.files;
  if (typeof files !== 'object' || files === null) return [];
  return Object.entries(files).flatMap(([path, value]) => {
    const digest = digestOf(value);
    return digest ? [[path, digest] as [string, HostDigest]] : [];
  });
}

function digestOf(value: unknown): HostDigest | undefined {
  if (!Array.isArray(value) || value.length !== 3) return undefined;
  const [stamp, size, sha256] = value as unknown[];
  if (typeof stamp !== 'string' || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return undefined;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  return { stamp, size, sha256 };
}

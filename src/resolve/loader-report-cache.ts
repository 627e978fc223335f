// What the host's loader said to `ld.so --help` (the glibc-hwcaps levels, platform and legacy hwcaps it
// supports on this CPU), kept across runs as root in a directory only root can change: asking it again
// costs a run ~4 ms (Node loads child_process and forks). The answer is kept with what it depends on and
// used only while all of it is unchanged: the loader file (device, inode, size, modification and change
// times), the boot (a CPU change, as a virtual machine's move to another host, needs a reboot) and the
// kernel's view of the CPU (vendor and flags from /proc/cpuinfo). A process reads it only after a command
// chose to (`mkjail deps`, `mkjail build`), and writes it only when also allowed to (never with --check);
// a non-root run neither reads nor writes it. Removing the file only makes the next run ask again.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { rootOnlyDir } from '../fs/host-trust.js';
import { keepJson, readKeptJson } from '../fs/kept-json.js';

export const LOADER_CACHE_DIR = '/var/cache/mkjail/loader';
const FORMAT = 'mkjail-loader-help/1';
const BOOT_ID = '/proc/sys/kernel/random/boot_id';
/** `ld.so --help` prints ~2 KB; anything much bigger is not its answer. */
const MAX_HELP_CHARS = 1 << 16;

/** The cache this process uses: its directory, and whether it may write there; false for none. */
let cache: { dir: string; write: boolean } | false = false;

/** Lets this process use the kept answers (as root only); `write` false (--check) never writes them. */
export function useLoaderReportCache(write: boolean, dir = LOADER_CACHE_DIR): void {
  // `build --jobs` prepares every build alike: the directory is checked once.
  if (cache && cache.write === write && cache.dir === dir) return;
  const usable = process.geteuid?.() === 0 ? rootOnlyDir(dir, write) : false;
  cache = usable === false ? false : { dir: usable, write };
}

/** Stops using the cache (a test's clean-up). */
export function stopUsingLoaderReportCache(): void {
  cache = false;
}

/**
 * Everything the loader's answer depends on besides the loader's own code: its file's stamp, the boot,
 * the CPU's vendor and flags as the kernel lists them. Undefined when one of them can't be read.
 */
export function loaderReportKey(loader: string, cpuinfo: string): string | undefined {
  try {
    const stats = statSync(loader);
    const boot = readFileSync(BOOT_ID, 'latin1').trim();
    const cpu = [/^vendor_id\s*:.*$/m.exec(cpuinfo)?.[0], /^flags\s*:.*$/m.exec(cpuinfo)?.[0]].join('\n');
    return [loader, `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`, boot, cpu].join('\n');
  } catch {
    return undefined;
  }
}

/** The kept `--help` text of the loader for `key`, when only root could have written it; else undefined. */
export function keptLoaderHelp(loader: string, key: string): string | undefined {
  if (!cache) return undefined;
  const kept = readKeptJson(cacheFile(cache.dir, loader), FORMAT);
  return kept?.key === key && typeof kept.help === 'string' && kept.help.length <= MAX_HELP_CHARS ? kept.help : undefined;
}

/** Keeps the loader's `--help` text for `key`, when this process may write the cache (else the next run asks again). */
export function keepLoaderHelp(loader: string, key: string, help: string): void {
  if (cache && cache.write && help.length <= MAX_HELP_CHARS) keepJson(cacheFile(cache.dir, loader), FORMAT, { key, help });
}

/** One file per loader, named after its path (/lib64/ld-linux-x86-64.so.2 -> lib64_ld-linux-x86-64.so.2.json). */
function cacheFile(dir: string, loader: string): string {
  return join(dir, `${loader.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

// Starts mkjail from its bundle (dist/bundle/mkjail.cjs: all of mkjail's code in one CommonJS file)
// compiled with V8's code cache. Parsing and compiling the bundle is ~30 ms of a ~150 ms no-op build;
// the first run of each command keeps what V8 compiled for it (the bundle's top level and every function
// the command ran) beside the bundle, and the next run of that command starts from it.
//
// The cache is held to the bundle's own trust: it is read only when the bundle's owner owns it and no
// one else can write it, written only by a process running as that owner, and keyed by the bundle's
// stamp (device, inode, size, modification and change times: any write to the bundle, or a new one,
// changes it; hashing the bundle instead would load node:crypto, ~5 ms a run), Node's version and the
// machine (V8 also checks its own version, its flags and the source's length, and refuses the rest).
// A run that promises to write nothing (--check) writes no cache, nor does a run that failed or showed
// help; MKJAIL_CODE_CACHE=off neither reads nor writes one. It runs before mkjail's code is loaded:
// besides Node's built-in modules it imports only fs/replace-file.ts, which esbuild puts inside it.
import { type Stats, accessSync, closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { replaceFile } from '../fs/replace-file.js';

/** How the bundle was compiled: from its code cache, without one (none usable), or with caching turned off. */
export type CodeCacheState = 'hit' | 'miss' | 'rejected' | 'off';

interface BundleExports {
  main(argv: string[]): Promise<number>;
  noteCodeCache(state: CodeCacheState): void;
}

const BUNDLE = fileURLToPath(new URL('./mkjail.cjs', import.meta.url));
/**
 * The CommonJS wrapper, with two more parameters the bundle refers to: its import() (cached code has
 * none of its own, see dynamic-import.ts) and its own URL (what import.meta.url was in its sources).
 */
const WRAPPER_HEAD = '(function (exports, require, module, __filename, __dirname, __mkjailImport, __mkjailImportMetaUrl) {';
const MAX_CACHE_BYTES = 64 << 20;
/** Exit codes after which the run's compiled code is worth keeping: success and findings. */
const KEPT_AFTER = new Set([0, 1]);

export async function main(argv: string[]): Promise<number> {
  const command = commandName(argv);
  tuneV8For(command);
  const { source, bundle } = readBundle();
  const owner = bundle.uid;
  const enabled = process.env.MKJAIL_CODE_CACHE !== 'off';
  const cachePath = join(dirname(BUNDLE), `mkjail.cjs.${command}.v8cache`);
  const key = enabled ? cacheKey(bundle) : undefined;
  const cached = key === undefined ? undefined : readCache(cachePath, key, owner);
  // The bundle is ASCII (scripts/bundle.mjs escapes the rest): latin1 is a plain copy into a one-byte string.
  const script = new Script(`${WRAPPER_HEAD}${source.toString('latin1')}\n})`, { filename: BUNDLE, ...(cached ? { cachedData: cached } : {}) });
  const state: CodeCacheState = !enabled ? 'off' : cached === undefined ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  const cli = run(script);
  cli.noteCodeCache(state);
  const code = await cli.main(argv);
  if (key !== undefined && state !== 'hit' && worthKeeping(argv, code) && mayWrite(owner)) keep(cachePath, key, script.createCachedData());
  return code;
}

/** The bundle's text and the stamp of the very file it was read from (one open: a new bundle can't slip in between). */
function readBundle(): { source: Buffer; bundle: Stats } {
  const fd = openSync(BUNDLE, constants.O_RDONLY);
  try {
    return { bundle: fstatSync(fd), source: readFileSync(fd) };
  } finally {
    closeSync(fd);
  }
}

/** Runs the wrapped bundle as Node runs a CommonJS module; returns its exports. */
function run(script: Script): BundleExports {
  const module = { exports: {} as BundleExports };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  const importModule = (specifier: string): Promise<unknown> => import(specifier);
  wrapper.call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE), importModule, pathToFileURL(BUNDLE).href);
  return module.exports;
}

/**
 * Commands that push hundreds of files through the same few functions in one short run. V8 hands a
 * function to its optimising compiler (TurboFan, on a second thread) once it has run through its
 * interrupt budget, a default made for pages that run for minutes: in `deps --list` of /usr/bin and
 * /usr/sbin it compiled 41 functions for ~60 ms of CPU in a 130 ms run, competing with the main thread
 * on a 2-core machine. Four times the budget leaves it the ten that run long enough to repay it. Not for
 * the other commands: a build runs briefly through much more code, which the larger budget also keeps
 * longer from V8's baseline compiler (a no-op bind build took ~5 ms more). docs/architecture.md has the
 * numbers.
 */
const RAISED_BUDGET_COMMANDS = new Set(['deps']);
/** Node 20's V8, where the budget was measured (default 66 KiB); a flag a V8 does not know is an error printed on stdout. */
const MEASURED_V8 = '11.3.';

/**
 * Sets V8's flags for the command before any of the bundle is compiled: V8 checks a code cache against
 * the flags it was made under, and each command has a cache of its own, made under the same flags.
 */
function tuneV8For(command: string): void {
  if (!RAISED_BUDGET_COMMANDS.has(command) || !process.versions.v8.startsWith(MEASURED_V8)) return;
  const { setFlagsFromString } = createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
  setFlagsFromString(`--interrupt-budget=${4 * 66 * 1024}`);
}

/** The command the run is for (one cache each: a build compiles other functions than a deps run). */
function commandName(argv: string[]): string {
  const [name] = argv;
  return name !== undefined && /^[a-z]{1,16}$/.test(name) ? name : 'main';
}

/** What a cache file starts with: the bundle's stamp, Node's version and the machine. */
function cacheKey(bundle: Stats): Buffer {
  const stamp = `${bundle.dev}:${bundle.ino}:${bundle.size}:${bundle.mtimeMs}:${bundle.ctimeMs}`;
  return Buffer.from(`mkjail code cache\0${stamp}\0${process.version}\0${process.arch}\0${process.versions.v8}\0`);
}

/** The cached data after `key`, when the file is the bundle owner's alone, not too big, and made for this bundle. */
function readCache(path: string, key: Buffer, owner: number): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stats = fstatSync(fd);
    if (!stats.isFile() || stats.uid !== owner || (stats.mode & 0o022) !== 0 || stats.size <= key.length || stats.size > MAX_CACHE_BYTES) return undefined;
    const data = readFileSync(fd);
    return data.length === stats.size && data.subarray(0, key.length).equals(key) ? data.subarray(key.length) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** True when the run ended normally and did not promise to write nothing or only show help. */
function worthKeeping(argv: string[], code: number): boolean {
  const split = argv.indexOf('--');
  const own = split < 0 ? argv : argv.slice(0, split);
  return KEPT_AFTER.has(code) && !own.some((arg) => arg === '--check' || arg === '--help' || arg === '-h');
}

/**
 * True when this process runs as the bundle's owner and may write beside it: on a read-only install
 * the cache is not even made (serialising it costs several milliseconds).
 */
function mayWrite(owner: number): boolean {
  if (process.geteuid?.() !== owner) return false;
  try {
    accessSync(dirname(BUNDLE), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Writes the cache beside the bundle, whole or not at all; failures are ignored (the next run compiles again). */
function keep(path: string, key: Buffer, data: Buffer): void {
  try {
    replaceFile(path, Buffer.concat([key, data]), 0o644);
  } catch {
    // Only a cache.
  }
}

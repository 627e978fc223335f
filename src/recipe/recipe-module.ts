// Runs a TypeScript recipe file's code and returns what it exports. jiti's transform (Babel) turns the
// TypeScript into JavaScript; as root that JavaScript is kept in a root-only cache, so that a rebuild
// neither transforms again nor loads jiti at all. The code runs in the module wrapper jiti itself uses.
// What it imports from 'mkjail' and from Node's built-in modules is given to it directly; anything else
// (its local files, packages) is handed to jiti, and only then is Node's ESM loader hook registered
// (recipe-trust.ts): code run this way can't reach Node's native import() itself (no dynamic-import
// callback is given to it), so only jiti can hand a file to Node's ESM loader.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Module, createRequire, isBuiltin } from 'node:module';
import { basename, dirname, extname, join } from 'node:path';
import { runInThisContext } from 'node:vm';
import type { Jiti, createJiti } from 'jiti';
import { importModule } from '../dynamic-import.js';
import * as packageApi from './package-api.js';
import { assertOnlyRootCanChange, watchNativeEsmLoads } from './recipe-trust.js';

export interface RecipeModuleOptions {
  /** The module recipes import as 'mkjail'. */
  packageEntry: string;
  /** The root-only cache directory, or false (not root, or a directory others could change). */
  cache: string | false;
  /** False for --check: the cache is read, never written (also not by jiti for what a recipe imports). */
  writeCache: boolean;
  /** True while withLoadsChecked holds the load to the trust rule (as root). */
  checked: boolean;
}

/** What jiti's async transform wraps a module's code in; the parameters its code refers to. */
const WRAPPER_HEAD = '(async function (exports, require, module, __filename, __dirname, jitiImport, jitiESMResolve) { ';

/** Only TypeScript files are run here; jiti loads any other recipe file itself. */
export function runsHere(path: string): boolean {
  return extname(path) === '.ts';
}

/** Loads the recipe module at `path` with jiti itself: for the files runsHere refuses (.mjs, .js...). */
export async function importWithJiti(path: string, options: RecipeModuleOptions): Promise<unknown> {
  return jitiFor(path, options).import(path);
}

/** Transforms (or takes from the cache) and runs the TypeScript recipe at `path`; returns its exports. */
export async function runRecipeModule(path: string, text: string, options: RecipeModuleOptions): Promise<unknown> {
  const code = javascriptOf(path, text, options);
  const mkjail: Record<string, unknown> = packageApi;
  let jiti: Jiti | undefined;
  const delegate = () => (jiti ??= jitiFor(path, options));
  const nativeRequire = createRequire(path);
  const require = Object.assign(
    (id: string): unknown => {
      if (id === 'mkjail') return mkjail;
      return isBuiltin(id) ? nativeRequire(id) : delegate()(id);
    },
    { resolve: (id: string, opts?: { paths?: string[] }) => delegate().resolve(id, opts), cache: Object.create(null) as Record<string, unknown> },
  );
  const jitiImport = async (id: string, opts?: { default?: true }): Promise<unknown> => {
    if (id !== 'mkjail' && !isBuiltin(id)) return delegate().import(id, opts);
    const found = id === 'mkjail' ? mkjail : await importModule<Record<string, unknown>>(id.startsWith('node:') ? id : `node:${id}`);
    return opts?.default ? (found.default ?? found) : found;
  };
  const jitiESMResolve = (id: string, parent?: string) => delegate().esmResolve(id, parent);
  const module = new Module(path);
  module.filename = path;
  const run = runInThisContext(`${WRAPPER_HEAD}${code}\n});`, { filename: path, lineOffset: 0, displayErrors: false }) as (...args: unknown[]) => Promise<void>;
  await run(module.exports, require, module, path, dirname(path), jitiImport, jitiESMResolve);
  const error = (module.exports as { __JITI_ERROR__?: { filename: string; line: number; column: number; code: string; message: string } }).__JITI_ERROR__;
  if (error) throw new Error(`${error.code}: ${error.message} \n ${error.filename}:${error.line}:${error.column}`);
  return module.exports;
}

/** A jiti for the files `path` imports (or for `path` itself); as root, with Node's ESM loader watched first. */
function jitiFor(path: string, { packageEntry, cache, writeCache, checked }: RecipeModuleOptions): Jiti {
  if (checked) watchNativeEsmLoads();
  return loadJiti()(path, {
    alias: { mkjail: packageEntry },
    fsCache: writeCache ? cache : false,
    moduleCache: false,
    interopDefault: false,
    // jiti's own loader first (it reads each file with readFileSync, which withLoadsChecked sees); what
    // it still hands to Node's native import() (.mjs files) meets the ESM hook of recipe-trust.ts.
    tryNative: false,
  });
}

/** jiti's createJiti, required when first needed: a recipe that imports only 'mkjail' and Node's modules, cached, never loads it. */
function loadJiti(): typeof createJiti {
  return (createRequire(import.meta.url)('jiti') as { createJiti: typeof createJiti }).createJiti;
}

/** The JavaScript of the recipe at `path`: from the cache when it was made from this very text, else transformed (and cached). */
function javascriptOf(path: string, text: string, options: RecipeModuleOptions): string {
  const entry = options.cache === false ? undefined : cacheEntry(options.cache, path);
  const stamp = `\n/* mkjail recipe cache: jiti ${jitiVersion()}, source sha256 ${createHash('sha256').update(text).digest('hex')} */\n`;
  if (entry !== undefined) {
    const cached = readCached(path, entry, options.checked);
    if (cached?.endsWith(stamp)) return cached.slice(0, -stamp.length);
  }
  const jiti = loadJiti()(path, { fsCache: false, interopDefault: false });
  const code = jiti.transform({ source: text, filename: path, ts: true, async: true });
  if (entry !== undefined && options.writeCache && !code.includes('__JITI_ERROR__')) writeFileSync(entry, code + stamp, { mode: 0o600 });
  return code;
}

/**
 * The cache entry of `path`: named after the source's directory, name and full path (one entry per
 * recipe file, replaced when the file changes), in `dir`.
 */
function cacheEntry(dir: string, path: string): string {
  const name = `${basename(dirname(path))}-${basename(path, extname(path))}.${createHash('sha256').update(path).digest('hex').slice(0, 16)}.js`;
  return join(dir, name);
}

/** The entry's text, or undefined when there is none; as root, an entry another user could change is refused like any file the recipe loads. */
function readCached(recipe: string, entry: string, checked: boolean): string | undefined {
  try {
    if (checked) assertOnlyRootCanChange(recipe, entry);
    return readFileSync(entry, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

let jitiVersionText: string | undefined;

/** The installed jiti's version: its transform made the cached code, so another version transforms again. */
function jitiVersion(): string {
  if (jitiVersionText === undefined) {
    const entry = createRequire(import.meta.url).resolve('jiti');
    const manifest = JSON.parse(readFileSync(join(dirname(entry), '../package.json'), 'utf8')) as { version?: string };
    jitiVersionText = manifest.version ?? 'unknown';
  }
  return jitiVersionText;
}

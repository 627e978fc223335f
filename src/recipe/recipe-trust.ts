// A recipe is code, and mkjail runs it as root: as root, only code that no other user could have written
// or could replace runs. That holds for the recipe file, its includes, and every file and module the
// recipe loads while it loads: read through node:fs's readFileSync (how jiti reads what it transpiles),
// loaded by Node's CommonJS loader (every require(), whatever the extension), mapped by process.dlopen
// (native addons), or loaded by Node's own ESM loader (esm-trust-hook.ts, registered once per process).
import { createRequire, register } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MkjailError } from '../errors.js';
import { type OwnershipProblem, ownershipProblem } from '../fs/host-trust.js';

const RUNS_AS_ROOT = 'a recipe is code, and mkjail runs it as root';

/** Marks an ownership problem found in the ESM loader's thread, where no MkjailError can cross. */
export const TRUST_MARKER = 'mkjail-recipe-trust:';

/** The one-line error for `problem` of `file`, which is the recipe itself or a file it loads. */
export function trustError(recipe: string, file: string, problem: OwnershipProblem): MkjailError {
  const subject = file === recipe ? 'it' : `the file ${file} it loads`;
  switch (problem.kind) {
    case 'owner':
      return new MkjailError(`Can't load recipe at ${recipe}: ${subject} is owned by uid ${problem.uid}, not root, and ${RUNS_AS_ROOT}`, {
        hint: `review it, then chown root:root ${problem.real}; or run mkjail as the user who owns it`,
      });
    case 'mode':
      return new MkjailError(`Can't load recipe at ${recipe}: ${subject} is writable by group or others (mode ${problem.mode}), and ${RUNS_AS_ROOT}`, {
        hint: `review it, then chmod go-w ${problem.real}`,
      });
    case 'directory': {
      const where = file === recipe ? `its directory ${problem.dir}` : `the file ${file} it loads is below ${problem.dir}, which`;
      return new MkjailError(`Can't load recipe at ${recipe}: ${where} ${problem.why}, so another user can replace it, and ${RUNS_AS_ROOT}`, {
        hint: `keep recipes below directories only root can write: chown root ${problem.dir} && chmod go-w ${problem.dir}`,
      });
    }
  }
}

/** Throws the trust error of `file` (the recipe or a file it loads) when another user could have written it. */
export function assertOnlyRootCanChange(recipe: string, file: string): void {
  const problem = ownershipProblem(file);
  if (problem) throw trustError(recipe, file, problem);
}

/** The trust error the ESM hook carried in `error`'s message, or undefined for any other error. */
export function trustErrorFromHook(recipe: string, error: unknown): MkjailError | undefined {
  const message = error instanceof Error ? error.message : '';
  const at = message.indexOf(TRUST_MARKER);
  if (at < 0) return undefined;
  const { file, problem } = JSON.parse(message.slice(at + TRUST_MARKER.length)) as { file: string; problem: OwnershipProblem };
  return trustError(recipe, file, problem);
}

/** mkjail's own code and dependencies, already running in this process: nothing to gain from checking them. */
const OWN_CODE = ['dist', 'src', 'node_modules'].map((dir) => fileURLToPath(new URL(`../../${dir}/`, import.meta.url)));

/** True for a path inside OWN_CODE (the same directories from src/ and dist/, so the hook's thread agrees). */
export function isOwnCode(path: string): boolean {
  return OWN_CODE.some((dir) => path.startsWith(dir));
}

/**
 * The recipes being loaded, innermost last. Checks apply while any is: the async context is not kept
 * through Node's ESM loader (a CommonJS file it loads requires others with no context), so it can't tell
 * one load's reads from another's; overlapping loads only share which recipe an error names.
 */
const loading: string[] = [];
let esmHookRegistered = false;

/**
 * Runs `load` (the loading of `recipe`, as root) with every file it reads, every addon it maps and every
 * module Node's CommonJS loader loads checked first, so that code another user could have written is
 * refused before it runs. `load` calls watchNativeEsmLoads before anything can hand a file to Node's
 * ESM loader; a refusal from that hook arrives as a plain Error, which `load` turns into the trust error
 * with trustErrorFromHook.
 */
export async function withLoadsChecked<T>(recipe: string, load: () => Promise<T>): Promise<T> {
  if (loading.length === 0) patchLoaders();
  loading.push(recipe);
  try {
    return await load();
  } finally {
    loading.splice(loading.lastIndexOf(recipe), 1);
    if (loading.length === 0) unpatchLoaders();
  }
}

const require = createRequire(import.meta.url);
const fs = require('node:fs') as typeof import('node:fs');
/** Node's CommonJS loader by file extension (unknown extensions load as '.js'), the one place every require() passes. */
const cjsExtensions = (require('node:module') as { _extensions: Record<string, (module: unknown, filename: string) => unknown> })._extensions;
const originals = { readFileSync: fs.readFileSync, dlopen: process.dlopen, cjsExtensions: { ...cjsExtensions } };

function checkLoad(target: unknown): void {
  const recipe = loading.at(-1);
  if (recipe === undefined) return;
  const path = target instanceof URL ? fileURLToPath(target) : typeof target === 'string' ? resolve(target) : undefined;
  if (path !== undefined && !isOwnCode(path)) assertOnlyRootCanChange(recipe, path);
}

function patchLoaders(): void {
  fs.readFileSync = function (this: unknown, ...args: Parameters<typeof fs.readFileSync>) {
    checkLoad(args[0]);
    return Reflect.apply(originals.readFileSync, this, args);
  } as typeof fs.readFileSync;
  process.dlopen = function (this: unknown, ...args: Parameters<typeof process.dlopen>) {
    checkLoad(args[1]);
    return Reflect.apply(originals.dlopen, this, args);
  } as typeof process.dlopen;
  for (const [extension, loadFile] of Object.entries(originals.cjsExtensions)) {
    cjsExtensions[extension] = function (this: unknown, module: unknown, filename: string) {
      checkLoad(filename);
      return Reflect.apply(loadFile, this, [module, filename]);
    };
  }
}

function unpatchLoaders(): void {
  fs.readFileSync = originals.readFileSync;
  process.dlopen = originals.dlopen;
  Object.assign(cjsExtensions, originals.cjsExtensions);
}

/**
 * Node's ESM loader reads what it imports itself (jiti hands it .mjs files, and whatever those import):
 * a loader hook, compiled in dist/, checks every file it loads that is not mkjail's own. It runs in a
 * thread of its own that takes tens of milliseconds to start, so it is registered only when jiti is
 * about to load something (recipe-module.ts), once; it stays for the life of the process, which as
 * root loads nothing else from outside mkjail.
 */
export function watchNativeEsmLoads(): void {
  if (esmHookRegistered) return;
  register(new URL('../../dist/recipe/esm-trust-hook.js', import.meta.url));
  esmHookRegistered = true;
}

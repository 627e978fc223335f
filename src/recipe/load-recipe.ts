// Loads a recipe file from anywhere on disk (TypeScript, through jiti), applies its variables, merges its
// includes and validates everything against the strict schema. Reads files; writes nothing.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';
import { MkjailError, errnoWords } from '../errors.js';
import { changeableAncestor, modeOf } from '../fs/host-trust.js';
import type { RecipeVars } from './schema.js';
import { mergeRecipes, type Recipe } from './merge-recipes.js';
import { parseRecipeValue, type RecipeFile } from './parse-recipe.js';
import { lstatOrUndefined } from '../fs/path-in-root.js';

/** The package entry recipes import as 'mkjail' (compiled dist/index.js, or src/index.ts under vitest). */
function packageEntry(): string {
  const compiled = fileURLToPath(new URL('../index.js', import.meta.url));
  return existsSync(compiled) ? compiled : fileURLToPath(new URL('../index.ts', import.meta.url));
}

/** Loads the recipe at `file` with `--set` values; throws a clean MkjailError (exit 2) on any problem. */
export async function loadRecipe(file: string, options: { set?: RecipeVars; cwd?: string } = {}): Promise<Recipe> {
  const path = resolve(options.cwd ?? process.cwd(), file);
  const set = options.set ?? {};
  const files: RecipeFile[] = [];
  await loadRecipeFile(path, set, files, []);
  const declared = new Set(files.flatMap((f) => Object.keys(f.defaults)));
  for (const name of Object.keys(set)) {
    if (!declared.has(name)) {
      const known = [...declared].sort().join(', ') || 'none';
      throw new MkjailError(`Can't set variable ${name} of recipe at ${path}: the recipe declares no such variable (it declares: ${known})`, {
        hint: `remove --set ${name}=..., or declare it in the recipe's vars`,
      });
    }
  }
  return mergeRecipes(files, recipeHash(files));
}

async function loadRecipeFile(path: string, set: RecipeVars, out: RecipeFile[], chain: string[]): Promise<void> {
  if (chain.includes(path)) {
    throw new MkjailError(`Can't include recipe at ${path}: it includes itself (${[...chain, path].join(' -> ')})`, {
      hint: 'remove the circular include',
    });
  }
  if (out.some((f) => f.path === path)) return;
  const asRoot = process.getuid?.() === 0;
  if (asRoot) assertOnlyRootCanChange(path, { recipe: path, file: path });
  const text = readRecipeText(path, chain.at(-1));
  const exported = asRoot ? await withModuleReadsChecked(path, () => importRecipe(path)) : await importRecipe(path);
  const parsed = parseRecipeValue(path, text, exported, set);
  out.push(parsed);
  for (const [index, include] of (parsed.recipe.include ?? []).entries()) {
    const includePath = isAbsolute(include) ? include : resolve(dirname(path), include);
    if (!existsSync(includePath)) {
      throw new MkjailError(`Can't use recipe at ${path}: field include.${index}: ${includePath} does not exist`, {
        hint: 'fix the path (relative paths are relative to the recipe file)',
      });
    }
    await loadRecipeFile(includePath, set, out, [...chain, path]);
  }
}

const RUNS_AS_ROOT = 'a recipe is code, and mkjail runs it as root';

/**
 * Refuses (run as root) a recipe file, or a module it loads, that another user could have written or
 * could replace: not owned by root, writable by group or others, or below a directory a non-root user
 * can change.
 */
function assertOnlyRootCanChange(path: string, { recipe, file: named }: { recipe: string; file: string }): void {
  const stats = lstatOrUndefined(path);
  if (!stats) return;
  const real = stats.isSymbolicLink() ? realpathSync(path) : path;
  const file = real === path ? stats : lstatSync(real);
  const subject = named === recipe ? 'it' : `the module ${named} it loads`;
  if (file.uid !== 0) {
    throw new MkjailError(`Can't load recipe at ${recipe}: ${subject} is owned by uid ${file.uid}, not root, and ${RUNS_AS_ROOT}`, {
      hint: `review it, then chown root:root ${real}; or run mkjail as the user who owns it`,
    });
  }
  if ((file.mode & 0o022) !== 0) {
    throw new MkjailError(`Can't load recipe at ${recipe}: ${subject} is writable by group or others (mode ${modeOf(file)}), and ${RUNS_AS_ROOT}`, {
      hint: `review it, then chmod go-w ${real}`,
    });
  }
  for (const candidate of new Set([path, real])) {
    const changeable = changeableAncestor(candidate);
    if (!changeable) continue;
    const { dir, why } = changeable;
    const whose = named === recipe ? 'its directory' : `the directory above the module ${named} it loads,`;
    throw new MkjailError(`Can't load recipe at ${recipe}: ${whose} ${dir} ${why}, so another user can replace it, and ${RUNS_AS_ROOT}`, {
      hint: `keep recipes below directories only root can write: chown root ${dir} && chmod go-w ${dir}`,
    });
  }
}

/** Source files a recipe can load as code or data its code is built from: scripts, JSON and package.json. */
const MODULE_FILE = /\.(?:[cm]?[jt]sx?|json)$/;
/** mkjail's own code and dependencies, already running in this process: nothing to gain from checking them. */
const OWN_CODE = ['dist', 'src', 'node_modules'].map((dir) => fileURLToPath(new URL(`../../${dir}/`, import.meta.url)));

/**
 * Runs `load` with every module it brings in checked first with the same rule as the recipe itself, so
 * that code another user could have written is refused before it runs: each module file read through
 * node:fs's readFileSync (how jiti and Node's require read what they transpile or load, the recipe's
 * local imports and node_modules packages included), and each native addon passed to process.dlopen.
 */
async function withModuleReadsChecked<T>(recipe: string, load: () => Promise<T>): Promise<T> {
  const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  const { readFileSync: read } = fs;
  const { dlopen } = process;
  const check = (target: unknown, pattern: RegExp) => {
    const path = target instanceof URL ? fileURLToPath(target) : typeof target === 'string' ? resolve(target) : undefined;
    if (path && pattern.test(path) && !OWN_CODE.some((dir) => path.startsWith(dir))) assertOnlyRootCanChange(path, { recipe, file: path });
  };
  fs.readFileSync = function (this: unknown, ...args: Parameters<typeof read>) {
    check(args[0], MODULE_FILE);
    return Reflect.apply(read, this, args);
  } as typeof read;
  process.dlopen = function (this: unknown, ...args: Parameters<typeof dlopen>) {
    check(args[1], /$/);
    return Reflect.apply(dlopen, this, args);
  } as typeof dlopen;
  try {
    return await load();
  } finally {
    fs.readFileSync = read;
    process.dlopen = dlopen;
  }
}

function readRecipeText(path: string, includedBy: string | undefined): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const by = includedBy ? ` (included by ${includedBy})` : '';
    throw new MkjailError(`Can't read recipe at ${path}${by}: ${errnoWords(error)}`, {
      hint: 'give the path of a recipe file (a .ts file that default-exports defineRecipe(...))',
    });
  }
}

async function importRecipe(path: string): Promise<unknown> {
  const jiti = createJiti(import.meta.url, {
    alias: { mkjail: packageEntry() },
    fsCache: false,
    moduleCache: false,
    interopDefault: false,
    // Every module through jiti's own loader, which reads it with readFileSync: never Node's native
    // import(), which would read it where withModuleReadsChecked can't see.
    tryNative: false,
  });
  try {
    const module = (await jiti.import(path)) as Record<string, unknown>;
    return module;
  } catch (error) {
    if (error instanceof MkjailError) throw error;
    const what = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw new MkjailError(`Can't load recipe at ${path}: ${what}`, {
      hint: 'fix the recipe file so it runs: it must default-export defineRecipe({...})',
    });
  }
}

/** sha256 of every recipe file's bytes (in load order) and the values its variables took: independent of location. */
function recipeHash(files: RecipeFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    const values = Object.entries(file.values).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    hash.update(`${createHash('sha256').update(file.text).digest('hex')} ${JSON.stringify(values)}\n`);
  }
  return hash.digest('hex');
}

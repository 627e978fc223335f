// Loads a recipe file from anywhere on disk (TypeScript, through jiti), applies its variables, merges its
// includes and validates everything against the strict schema. Reads files; writes nothing.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, MkjailError, READ_ACCESS_HINT, errnoWords, isPermissionDenied } from '../errors.js';
import { hostPathExists } from '../fs/path-in-root.js';
import type { RecipeVars } from './schema.js';
import { mergeRecipes, type Recipe } from './merge-recipes.js';
import { parseRecipeValue, type RecipeFile } from './parse-recipe.js';
import { importWithJiti, runRecipeModule, runsHere } from './recipe-module.js';
import { rootOnlyDir } from '../fs/host-trust.js';
import { assertOnlyRootCanChange, trustErrorFromHook, withLoadsChecked } from './recipe-trust.js';

/**
 * Where, as root, the JavaScript made of each TypeScript recipe file is kept (recipe-module.ts), so that
 * a rebuild skips the transform and loads neither Babel nor jiti; jiti keeps what it transforms of the
 * files a recipe imports there too. Only root can write it; each entry is named by the source's path and
 * stamped with a hash of the source's text (a changed recipe is transformed again), and is held to the
 * ownership rule like any file a recipe loads.
 */
export const RECIPE_CACHE_DIR = '/var/cache/mkjail/recipes';

export interface LoadOptions {
  set?: RecipeVars;
  cwd?: string;
  /**
   * As root, reuse transformed recipes kept in RECIPE_CACHE_DIR; true also keeps new ones there, 'read'
   * (--check, which writes nothing) only reads what is there.
   */
  cache?: boolean | 'read';
  /**
   * What each recipe file exported, kept by the caller across loads of the same recipe with other
   * --set values (`build --jobs`): a file whose text is unchanged is not imported again, though it is
   * still read and held to the trust rule each time.
   */
  modules?: RecipeModules;
}

/** A recipe file's exports by path, with the text they were imported from. */
export type RecipeModules = Map<string, { text: string; exported: unknown }>;

/** The package entry recipes import as 'mkjail' (compiled dist/index.js, or src/index.ts under vitest). */
function packageEntry(): string {
  const compiled = fileURLToPath(new URL('../index.js', import.meta.url));
  return existsSync(compiled) ? compiled : fileURLToPath(new URL('../index.ts', import.meta.url));
}

/** Loads the recipe at `file` with `--set` values; throws a clean MkjailError (exit 2) on any problem. */
export async function loadRecipe(file: string, options: LoadOptions = {}): Promise<Recipe> {
  const path = resolve(options.cwd ?? process.cwd(), file);
  const set = options.set ?? {};
  const files: RecipeFile[] = [];
  const asRoot = process.getuid?.() === 0;
  const cache = asRoot && options.cache !== undefined && options.cache !== false ? rootOnlyDir(RECIPE_CACHE_DIR, options.cache === true) : false;
  await loadRecipeFile(path, set, files, [], { cache, writeCache: options.cache === true, modules: options.modules });
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

interface Importing {
  cache: string | false;
  writeCache: boolean;
  modules: RecipeModules | undefined;
}

async function loadRecipeFile(path: string, set: RecipeVars, out: RecipeFile[], chain: string[], importing: Importing): Promise<void> {
  if (chain.includes(path)) {
    throw new MkjailError(`Can't include recipe at ${path}: it includes itself (${[...chain, path].join(' -> ')})`, {
      hint: 'remove the circular include',
    });
  }
  if (out.some((f) => f.path === path)) return;
  const asRoot = process.getuid?.() === 0;
  if (asRoot) assertOnlyRootCanChange(path, path);
  const text = readRecipeText(path, chain.at(-1));
  const exported = await importOnce(path, text, asRoot, importing);
  const parsed = parseRecipeValue(path, text, exported, set);
  out.push(parsed);
  for (const [index, include] of (parsed.recipe.include ?? []).entries()) {
    const includePath = isAbsolute(include) ? include : resolve(dirname(path), include);
    if (!includeExists(path, index, includePath)) {
      throw new MkjailError(`Can't use recipe at ${path}: field include.${index}: ${includePath} does not exist`, {
        hint: 'fix the path (relative paths are relative to the recipe file)',
      });
    }
    await loadRecipeFile(includePath, set, out, [...chain, path], importing);
  }
}

/** Whether an included recipe exists; one that may not be reached (permission denied) is exit 3, not "does not exist". */
function includeExists(path: string, index: number, includePath: string): boolean {
  try {
    return hostPathExists(includePath);
  } catch (error) {
    if (!isPermissionDenied(error)) throw error;
    throw new MkjailError(`Can't use recipe at ${path}: field include.${index}: can't reach ${includePath}: ${errnoWords(error)}`, {
      exitCode: EXIT.environment,
      hint: READ_ACCESS_HINT,
    });
  }
}

function readRecipeText(path: string, includedBy: string | undefined): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const by = includedBy ? ` (included by ${includedBy})` : '';
    throw new MkjailError(`Can't read recipe at ${path}${by}: ${errnoWords(error)}`, isPermissionDenied(error)
      ? { exitCode: EXIT.environment, hint: READ_ACCESS_HINT }
      : { hint: 'give the path of a recipe file (a .ts file that default-exports defineRecipe(...))' });
  }
}

async function importOnce(path: string, text: string, asRoot: boolean, { cache, writeCache, modules }: Importing): Promise<unknown> {
  const known = modules?.get(path);
  if (known && known.text === text) return known.exported;
  const caching = { cache, writeCache };
  const exported = asRoot ? await withLoadsChecked(path, () => importRecipe(path, text, true, caching)) : await importRecipe(path, text, false, caching);
  modules?.set(path, { text, exported });
  return exported;
}

async function importRecipe(path: string, text: string, checked: boolean, { cache, writeCache }: { cache: string | false; writeCache: boolean }): Promise<unknown> {
  const options = { packageEntry: packageEntry(), cache, writeCache, checked };
  try {
    return runsHere(path) ? await runRecipeModule(path, text, options) : await importWithJiti(path, options);
  } catch (error) {
    if (error instanceof MkjailError) throw error;
    const refused = trustErrorFromHook(path, error);
    if (refused) throw refused;
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

// Loads a recipe file from anywhere on disk (TypeScript, through jiti), applies its variables, merges its
// includes and validates everything against the strict schema. Reads files; writes nothing.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti } from 'jiti';
import { MkjailError, errnoWords } from '../errors.js';
import type { RecipeVars } from './schema.js';
import { mergeRecipes, type Recipe } from './merge-recipes.js';
import { parseRecipeValue, type RecipeFile } from './parse-recipe.js';
import { assertOnlyRootCanChange, trustErrorFromHook, withLoadsChecked } from './recipe-trust.js';

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
  if (asRoot) assertOnlyRootCanChange(path, path);
  const text = readRecipeText(path, chain.at(-1));
  const exported = asRoot ? await withLoadsChecked(path, () => importRecipe(path)) : await importRecipe(path);
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
    // jiti's own loader first (it reads each file with readFileSync, which withLoadsChecked sees); what
    // it still hands to Node's native import() (.mjs files) meets the ESM hook of recipe-trust.ts.
    tryNative: false,
  });
  try {
    const module = (await jiti.import(path)) as Record<string, unknown>;
    return module;
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

// Builds a real jail for a test: from recipe text (written to a scratch directory) or a recipe file,
// through the same code as `mkjail build`, below root-owned directories only (test/helpers/scratch.ts),
// so its jails audit clean. Needs root (a tree sets owners and creates /dev/null).
// Example: `const jail = await buildJail(recipeText); ... jail.manifest.entries ...; await jail.cleanup();`
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Manifest, readManifest } from '../../src/plan/manifest.js';
import { type BuildResult, runBuild } from '../../src/stage/run-build.js';
import { makeScratch, removeScratch } from './scratch.js';

export interface BuiltJail {
  /** The scratch directory holding the recipe (when given as text) and `out/`. */
  scratch: string;
  /** The output directory DIR. */
  dir: string;
  /** DIR/root, the jail. */
  root: string;
  /** The recipe file that was built. */
  recipe: string;
  manifest: Manifest;
  result: BuildResult;
  /** Builds again into the same DIR (same recipe, optionally other --set values). */
  rebuild(options?: { set?: Record<string, string> }): Promise<BuildResult>;
  cleanup(): void;
}

export interface BuildJailOptions {
  set?: Record<string, string>;
  /** Extra files written next to the recipe (name -> content, or content and mode), for `{ from: './x' }` and includes. */
  files?: Record<string, string | { text: string; mode: number }>;
}

/** `recipe` is recipe source text (contains a newline) or the path of a recipe file. */
export async function buildJail(recipe: string, options: BuildJailOptions = {}): Promise<BuiltJail> {
  const scratch = makeScratch('build-');
  try {
    const recipePath = recipe.includes('\n') ? join(scratch, 'recipe.ts') : recipe;
    if (recipe.includes('\n')) writeFileSync(recipePath, recipe);
    for (const [name, file] of Object.entries(options.files ?? {})) {
      if (typeof file === 'string') writeFileSync(join(scratch, name), file);
      else writeFileSync(join(scratch, name), file.text, { mode: file.mode });
    }
    const dir = join(scratch, 'out');
    const build = (set: Record<string, string> | undefined) => runBuild({ recipe: recipePath, out: dir, ...(set ? { set } : {}) });
    const result = await build(options.set);
    return {
      scratch,
      dir,
      root: join(dir, 'root'),
      recipe: recipePath,
      manifest: readManifest(join(dir, 'manifest.json')),
      result,
      rebuild: (again = {}) => build(again.set ?? options.set),
      cleanup: () => removeScratch(scratch),
    };
  } catch (error) {
    removeScratch(scratch);
    throw error;
  }
}

// As root, a build keeps the JavaScript jiti made of a recipe in a root-only cache, so that the next
// build skips the TypeScript transform. The cache is held to the recipe trust rule like any file a
// recipe loads, is keyed by the source's text (an edited recipe is transformed again), and
// `build --check` writes nothing to it.
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RECIPE_CACHE_DIR } from '../../src/recipe/load-recipe.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent'] });
const recipeText = (text: string) => `import { defineRecipe } from 'mkjail';
const text: string = ${JSON.stringify(text)};
export default defineRecipe({ name: 'cached', generated: [{ path: '/etc/text', text }] });
`;

describe.skipIf(!ok)('the recipe cache', () => {
  const scratch = ok ? makeScratch('recipe-cache-') : '';
  const recipe = join(scratch, 'recipe.ts');
  /** jiti names an entry after the source's directory and name: the scratch directory is unique. */
  const entries = () => readdirSync(RECIPE_CACHE_DIR).filter((name) => name.startsWith(`${basename(scratch)}-recipe.`));
  const cleanCache = () => {
    for (const name of entries()) rmSync(join(RECIPE_CACHE_DIR, name), { force: true });
  };
  afterAll(() => {
    if (!ok) return;
    cleanCache();
    removeScratch(scratch);
  });

  it('is not written by --check, and is written root-only by a build', async () => {
    writeFileSync(recipe, recipeText('one'));
    const check = await mkjail(['build', recipe, '--out', join(scratch, 'check'), '--check']);
    expect(check.exitCode, check.stderr).toBe(1);
    expect(entries()).toEqual([]);
    const built = await mkjail(['build', recipe, '--out', join(scratch, 'out')]);
    expect(built.exitCode, built.stderr).toBe(0);
    const [entry] = entries();
    expect(entry).toBeDefined();
    const cache = statSync(RECIPE_CACHE_DIR);
    expect([cache.uid, cache.mode & 0o777]).toEqual([0, 0o700]);
    expect(readFileSync(join(RECIPE_CACHE_DIR, entry as string), 'utf8')).toContain('"one"');
  });

  it('is keyed by the source text: an edited recipe is transformed again and builds the new content', async () => {
    writeFileSync(recipe, recipeText('two'));
    const built = await mkjail(['build', recipe, '--out', join(scratch, 'out')]);
    expect(built.exitCode, built.stderr).toBe(0);
    expect(readFileSync(join(scratch, 'out/root/etc/text'), 'utf8')).toBe('two');
    expect(readFileSync(join(RECIPE_CACHE_DIR, entries()[0] as string), 'utf8')).toContain('"two"');
  });

  it('is held to the trust rule: an entry others could write is refused, naming it', async () => {
    const [entry] = entries();
    const path = join(RECIPE_CACHE_DIR, entry as string);
    chmodSync(path, 0o666);
    const built = await mkjail(['build', recipe, '--out', join(scratch, 'out')]);
    cleanCache();
    expect(built.exitCode).toBe(2);
    expect(built.stderr).toContain(`the file ${path} it loads is writable by group or others`);
  });
});

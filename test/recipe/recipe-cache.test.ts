// As root, a build keeps the JavaScript jiti made of a recipe in a root-only cache, so that the next
// build skips the TypeScript transform. The cache is held to the recipe trust rule like any file a
// recipe loads, is keyed by the source's text (an edited recipe is transformed again), and
// `build --check` writes nothing to it. A cached recipe that imports only 'mkjail' and Node's modules
// runs without jiti and without Node's ESM loader hook (its thread); one that imports other files
// hands them to jiti with the hook registered first, cached or not.
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { RECIPE_CACHE_DIR } from '../../src/recipe/load-recipe.js';
import { REPO_ROOT, mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['getent'] });
const recipeText = (text: string) => `import { defineRecipe } from 'mkjail';
const text: string = ${JSON.stringify(text)};
export default defineRecipe({ name: 'cached', generated: [{ path: '/etc/text', text }] });
`;

/**
 * Loads `recipe` with the cache in a Node process of its own (compiled dist/), as a build does; what it
 * printed: the recipe's name or the error line, whether jiti was loaded, and how many worker threads
 * (the ESM loader hook's) were running.
 */
async function loadInOwnProcess(recipe: string, cache: true | 'read' = true): Promise<{ outcome: string; jiti: boolean; workers: number }> {
  const script = `
import { createRequire } from 'node:module';
const { loadRecipe } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/recipe/load-recipe.js'))});
let outcome;
try { outcome = (await loadRecipe(${JSON.stringify(recipe)}, { cache: ${JSON.stringify(cache)} })).name; } catch (error) { outcome = error.toLine?.() ?? String(error); }
const jiti = Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('/node_modules/jiti/'));
console.log(JSON.stringify({ outcome, jiti, workers: process.report.getReport().workers.length }));
`;
  const result = await execa(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT });
  return JSON.parse(result.stdout) as { outcome: string; jiti: boolean; workers: number };
}

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

  it("runs a cached recipe that imports only 'mkjail' and Node's modules without loading jiti or starting the ESM hook's thread", async () => {
    writeFileSync(recipe, `import { readFileSync } from 'node:fs';\nimport os from 'node:os';\n${recipeText('three')}`.replace("name: 'cached'", "name: typeof readFileSync === 'function' && typeof os.cpus === 'function' ? 'cached' : 'broken'"));
    const first = await loadInOwnProcess(recipe);
    const second = await loadInOwnProcess(recipe);
    cleanCache();
    expect([first, second]).toEqual([
      { outcome: 'cached', jiti: true, workers: 0 },
      { outcome: 'cached', jiti: false, workers: 0 },
    ]);
  });

  it('hands what else a cached recipe imports to jiti with the ESM hook registered: a root-owned .mjs loads, one importing another user\'s file is refused', async () => {
    const dir = join(scratch, 'imports');
    mkdirSync(dir, { mode: 0o755 });
    const importing = join(dir, 'recipe.ts');
    writeFileSync(importing, "import { defineRecipe } from 'mkjail';\nimport outer from './outer.mjs';\nexport default defineRecipe({ name: outer, files: ['/etc/hostname'] });\n");
    writeFileSync(join(dir, 'outer.mjs'), "import inner from './inner.mjs';\nexport default inner;\n");
    const inner = join(dir, 'inner.mjs');
    const marker = join(dir, 'ran');
    writeFileSync(inner, "export default 'imported';\n");
    const loads = [await loadInOwnProcess(importing), await loadInOwnProcess(importing)];
    writeFileSync(inner, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default 'imported';\n`);
    chownSync(inner, 65534, 65534);
    const refused = await loadInOwnProcess(importing);
    for (const name of readdirSync(RECIPE_CACHE_DIR).filter((entry) => entry.startsWith('imports-recipe.'))) rmSync(join(RECIPE_CACHE_DIR, name), { force: true });
    expect(loads).toEqual([
      { outcome: 'imported', jiti: true, workers: 1 },
      { outcome: 'imported', jiti: true, workers: 1 },
    ]);
    expect([refused.outcome, refused.workers, existsSync(marker)]).toEqual([
      `Can't load recipe at ${importing}: the file ${inner} it loads is owned by uid 65534, not root, and a recipe is code, and mkjail runs it as root (fix: review it, then chown root:root ${inner}; or run mkjail as the user who owns it)`,
      1,
      false,
    ]);
  });

  it('is read by --check but never written: an entry a build left is used, an edited recipe is transformed without storing it', async () => {
    writeFileSync(recipe, recipeText('four'));
    const built = await mkjail(['build', recipe, '--out', join(scratch, 'out')]);
    expect(built.exitCode, built.stderr).toBe(0);
    const [entry] = entries();
    const path = join(RECIPE_CACHE_DIR, entry as string);
    const stored = readFileSync(path, 'utf8');
    const hit = await loadInOwnProcess(recipe, 'read');
    writeFileSync(recipe, recipeText('five'));
    const miss = await loadInOwnProcess(recipe, 'read');
    const check = await mkjail(['build', recipe, '--out', join(scratch, 'out'), '--check']);
    expect(check.exitCode, check.stderr).toBe(1);
    expect([hit, miss, entries(), readFileSync(path, 'utf8') === stored]).toEqual([
      { outcome: 'cached', jiti: false, workers: 0 },
      { outcome: 'cached', jiti: true, workers: 0 },
      [entry],
      true,
    ]);
  });
});

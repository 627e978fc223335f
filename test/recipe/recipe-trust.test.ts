// A recipe is code that runs as the user who runs mkjail: as root, only a recipe that no other user can
// have written is loaded (owned by root, not writable by group or others, below directories only root
// can change). The same rule holds for every module the recipe loads: its local imports and the
// node_modules packages it imports, checked before any of their code runs.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MkjailError } from '../../src/errors.js';
import { loadRecipe } from '../../src/recipe/load-recipe.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { tmpScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true });
const withGcc = prerequisites({ root: true, commands: ['gcc'], packages: 'gcc' });
const NOBODY = 65534;
const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'trust', files: ['/etc/hostname'] });
`;
const CODE = 'a recipe is code, and mkjail runs it as root';

/** What loading `file` throws, as the CLI would print it, with its exit code; or 'loaded'. */
async function loadOutcome(file: string): Promise<string> {
  try {
    await loadRecipe(file);
    return 'loaded';
  } catch (error) {
    if (error instanceof MkjailError) return `${error.exitCode} ${error.toLine()}`;
    throw error;
  }
}

describe.skipIf(!ok)('a recipe loaded as root', () => {
  const scratch = tmpScratch('mkjail-trust-', ok);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** A fresh root-owned 0755 directory below the scratch directory, holding recipe.ts (root 0644). */
  function recipeDir(name: string): { dir: string; file: string } {
    const dir = join(scratch, name);
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const file = join(dir, 'recipe.ts');
    writeFileSync(file, RECIPE, { mode: 0o644 });
    return { dir, file };
  }

  it('is loaded when root owns it and every directory above it, or the directory is sticky like /tmp', async () => {
    const { file } = recipeDir('fine');
    const sticky = recipeDir('sticky');
    chmodSync(sticky.dir, 0o1777);
    expect([await loadOutcome(file), await loadOutcome(sticky.file)]).toEqual(['loaded', 'loaded']);
  });

  it('is refused when another user owns it', async () => {
    const { file } = recipeDir('owner');
    chownSync(file, NOBODY, NOBODY);
    expect(await loadOutcome(file)).toBe(
      `2 Can't load recipe at ${file}: it is owned by uid ${NOBODY}, not root, and ${CODE} (fix: review it, then chown root:root ${file}; or run mkjail as the user who owns it)`,
    );
  });

  it('is refused when group or others can write it', async () => {
    const { file } = recipeDir('mode');
    chmodSync(file, 0o666);
    expect(await loadOutcome(file)).toBe(
      `2 Can't load recipe at ${file}: it is writable by group or others (mode 0666), and ${CODE} (fix: review it, then chmod go-w ${file})`,
    );
  });

  it('is refused when a non-root user can write its directory, by mode without the sticky bit or by owning it', async () => {
    const open = recipeDir('open-dir');
    chmodSync(open.dir, 0o777);
    const owned = recipeDir('owned-dir');
    chownSync(owned.dir, NOBODY, NOBODY);
    const why = (dir: string, file: string, what: string) =>
      `2 Can't load recipe at ${file}: its directory ${dir} ${what}, so another user can replace it, and ${CODE} (fix: keep recipes below directories only root can write: chown root ${dir} && chmod go-w ${dir})`;
    expect([await loadOutcome(open.file), await loadOutcome(owned.file)]).toEqual([
      why(open.dir, open.file, 'is writable by group or others without the sticky bit (mode 0777)'),
      why(owned.dir, owned.file, `is owned by uid ${NOBODY}`),
    ]);
  });

  it('is refused when a directory further up is writable by others', async () => {
    const parent = join(scratch, 'open-parent');
    mkdirSync(parent, { mode: 0o777 });
    chmodSync(parent, 0o777);
    const dir = join(parent, 'inner');
    mkdirSync(dir, { mode: 0o755 });
    const file = join(dir, 'recipe.ts');
    writeFileSync(file, RECIPE, { mode: 0o644 });
    expect(await loadOutcome(file)).toBe(
      `2 Can't load recipe at ${file}: its directory ${parent} is writable by group or others without the sticky bit (mode 0777), so another user can replace it, and ${CODE} (fix: keep recipes below directories only root can write: chown root ${parent} && chmod go-w ${parent})`,
    );
  });

  it('is refused when a recipe it includes is writable by others, before any of its code runs', async () => {
    const { dir, file } = recipeDir('include');
    const included = join(dir, 'base.ts');
    const marker = join(dir, 'ran');
    writeFileSync(included, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\n${RECIPE}`, { mode: 0o666 });
    chmodSync(included, 0o666);
    writeFileSync(file, RECIPE.replace("name: 'trust',", "name: 'trust', include: ['./base.ts'],"));
    const outcome = await loadOutcome(file);
    expect([outcome, existsSync(marker)]).toEqual([
      `2 Can't load recipe at ${included}: it is writable by group or others (mode 0666), and ${CODE} (fix: review it, then chmod go-w ${included})`,
      false,
    ]);
  });

  /** The refusal of `recipe` for a file it loads that user nobody owns, as loadOutcome shows it. */
  const ownedByNobody = (recipe: string, path: string) =>
    `2 Can't load recipe at ${recipe}: the file ${path} it loads is owned by uid ${NOBODY}, not root, and ${CODE} (fix: review it, then chown root:root ${path}; or run mkjail as the user who owns it)`;
  /** The refusal of `recipe` for a file it loads that is mode 0666. */
  const writableByOthers = (recipe: string, path: string) =>
    `2 Can't load recipe at ${recipe}: the file ${path} it loads is writable by group or others (mode 0666), and ${CODE} (fix: review it, then chmod go-w ${path})`;

  /** recipe.ts in a fresh directory importing `specifier` (and using its default export as the name). */
  function importingRecipe(name: string, specifier: string): { dir: string; file: string; marker: string } {
    const { dir, file } = recipeDir(name);
    writeFileSync(file, `import { defineRecipe } from 'mkjail';\nimport name from ${JSON.stringify(specifier)};\nexport default defineRecipe({ name, files: ['/etc/hostname'] });\n`);
    return { dir, file, marker: join(dir, 'ran') };
  }
  /** Module source that leaves `marker` behind when it runs, and default-exports a recipe name. */
  const markingModule = (marker: string, esm: boolean) =>
    esm
      ? `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default 'imported';\n`
      : `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nmodule.exports = 'imported';\n`;

  it('loads local TypeScript, CommonJS and JSON imports that only root can change', async () => {
    const { dir, file } = recipeDir('imports-fine');
    writeFileSync(join(dir, 'a.ts'), "export default 'from';\n");
    writeFileSync(join(dir, 'b.cjs'), "module.exports = 'imports';\n");
    writeFileSync(join(dir, 'c.json'), '{ "word": "ok" }\n');
    writeFileSync(
      file,
      "import { defineRecipe } from 'mkjail';\nimport a from './a.ts';\nimport b from './b.cjs';\nimport c from './c.json';\nexport default defineRecipe({ name: `${a}-${b}-${c.word}`, files: ['/etc/hostname'] });\n",
    );
    expect((await loadRecipe(file)).name).toBe('from-imports-ok');
  });

  it('is refused, before the module runs, when a local TypeScript import belongs to another user', async () => {
    const { dir, file, marker } = importingRecipe('import-owner', './helper.ts');
    const helper = join(dir, 'helper.ts');
    writeFileSync(helper, markingModule(marker, true));
    chownSync(helper, NOBODY, NOBODY);
    expect([await loadOutcome(file), existsSync(marker)]).toEqual([
      ownedByNobody(file, helper),
      false,
    ]);
  });

  it('is refused, before the module runs, when a local CommonJS import is writable by others', async () => {
    const { dir, file, marker } = importingRecipe('import-mode', './helper.cjs');
    const helper = join(dir, 'helper.cjs');
    writeFileSync(helper, markingModule(marker, false));
    chmodSync(helper, 0o666);
    expect([await loadOutcome(file), existsSync(marker)]).toEqual([
      writableByOthers(file, helper),
      false,
    ]);
  });

  // jiti evaluates an ordinary package itself, and hands the packages jiti and typescript to Node's loader.
  it.each(['helper-package', 'jiti'])('is refused, before the package runs, when node_modules/%s sits in a directory another user owns', async (name) => {
    const { dir, file, marker } = importingRecipe(`import-package-${name}`, name);
    const pkg = join(dir, 'node_modules', name);
    mkdirSync(pkg, { recursive: true, mode: 0o755 });
    writeFileSync(join(pkg, 'package.json'), `{ "name": "${name}", "main": "index.js" }\n`);
    writeFileSync(join(pkg, 'index.js'), markingModule(marker, false));
    chownSync(pkg, NOBODY, NOBODY);
    const outcome = await loadOutcome(file);
    expect([outcome.replace(/file \S+ it loads/, 'file F it loads'), existsSync(marker)]).toEqual([
      `2 Can't load recipe at ${file}: the file F it loads is below ${pkg}, which is owned by uid ${NOBODY}, so another user can replace it, and ${CODE} (fix: keep recipes below directories only root can write: chown root ${pkg} && chmod go-w ${pkg})`,
      false,
    ]);
    expect(outcome).toMatch(new RegExp(`the file ${pkg}/(package\\.json|index\\.js) it loads`));
  });

  it.skipIf(!withGcc)('is refused, before its constructor runs, when a native addon it requires is writable by others', async () => {
    const { dir, file, marker } = importingRecipe('import-addon', './name.cjs');
    const addon = join(dir, 'addon.node');
    const source = join(dir, 'addon.c');
    writeFileSync(source, `#include <stdio.h>\n__attribute__((constructor)) static void ran(void) { FILE *f = fopen(${JSON.stringify(marker)}, "w"); if (f) fclose(f); }\n`);
    execFileSync('gcc', ['-shared', '-fPIC', '-o', addon, source]);
    chmodSync(addon, 0o666);
    writeFileSync(join(dir, 'name.cjs'), "require('./addon.node');\nmodule.exports = 'addon';\n");
    expect([await loadOutcome(file), existsSync(marker)]).toEqual([
      writableByOthers(file, addon),
      false,
    ]);
  });

  it('is refused, before the file runs, when an import without a known extension belongs to another user', async () => {
    const extensionless = importingRecipe('import-extensionless', './helper');
    const helper = join(extensionless.dir, 'helper');
    writeFileSync(helper, markingModule(extensionless.marker, false));
    chownSync(helper, NOBODY, NOBODY);
    const text = importingRecipe('require-text', './name.cjs');
    const data = join(text.dir, 'code.txt');
    writeFileSync(join(text.dir, 'name.cjs'), "module.exports = require('./code.txt');\n");
    writeFileSync(data, markingModule(text.marker, false));
    chownSync(data, NOBODY, NOBODY);
    expect([await loadOutcome(extensionless.file), existsSync(extensionless.marker), await loadOutcome(text.file), existsSync(text.marker)]).toEqual([
      ownedByNobody(extensionless.file, helper),
      false,
      ownedByNobody(text.file, data),
      false,
    ]);
  });

  it("is refused, before the module runs, when a root-owned .mjs it imports imports another user's module (Node's own ESM loader)", async () => {
    const { dir, file } = recipeDir('import-esm-graph');
    const marker = join(dir, 'ran');
    writeFileSync(file, "import { defineRecipe } from 'mkjail';\nconst outer = await import('./outer.mjs');\nexport default defineRecipe({ name: outer.default, files: ['/etc/hostname'] });\n");
    writeFileSync(join(dir, 'outer.mjs'), "import inner from './inner.mjs';\nexport default inner;\n");
    const inner = join(dir, 'inner.mjs');
    writeFileSync(inner, markingModule(marker, true));
    chownSync(inner, NOBODY, NOBODY);
    expect([await loadOutcome(file), existsSync(marker)]).toEqual([
      ownedByNobody(file, inner),
      false,
    ]);
  });

  it('checks nothing once loading is over, also after two loads that overlapped', async () => {
    const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
    const before = fs.readFileSync;
    const a = recipeDir('overlap-a');
    const b = recipeDir('overlap-b');
    expect(await Promise.all([loadOutcome(a.file), loadOutcome(b.file)])).toEqual(['loaded', 'loaded']);
    const data = join(b.dir, 'data.json');
    writeFileSync(data, '{}\n');
    chownSync(data, NOBODY, NOBODY);
    expect([fs.readFileSync === before, fs.readFileSync(data, 'utf8')]).toEqual([true, '{}\n']);
  });

  it('is refused by mkjail build --check with exit 2 and one error line after the step it stopped at', async () => {
    const { file } = recipeDir('cli');
    chmodSync(file, 0o666);
    const result = await mkjail(['build', '--check', file, '--out', join(scratch, 'cli-out')]);
    expect(result).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `mkjail build: Load the recipe\nmkjail build: Can't load recipe at ${file}: it is writable by group or others (mode 0666), and ${CODE} (fix: review it, then chmod go-w ${file})`,
    });
  });
});

// Loading recipes: a TypeScript file anywhere on disk that imports 'mkjail', with variables and includes,
// merged with the origin of every value kept for error messages and manifest reasons.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRecipe } from '../../src/recipe/load-recipe.js';

const scratch = mkdtempSync(join(tmpdir(), 'mkjail-load-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

describe('loadRecipe', () => {
  it('loads a recipe outside the repository that imports defineRecipe from mkjail, and fills the defaults', async () => {
    const file = write('plain.ts', `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'plain', files: ['/etc/hostname', { from: './data.txt', to: '/etc/data' }] });
`);
    const recipe = await loadRecipe(file);
    expect({ ...recipe, sha256: recipe.sha256.length }).toEqual({
      file,
      name: 'plain',
      sha256: 64,
      vars: {},
      binaries: [],
      files: [
        { value: { from: '/etc/hostname', to: '/etc/hostname', keepLinks: true }, origin: { file, field: 'files.0' } },
        { value: { from: join(scratch, 'data.txt'), to: '/etc/data', keepLinks: false }, origin: { file, field: 'files.1' } },
      ],
      dirs: [],
      user: undefined,
      group: undefined,
      writable: [],
      devices: [{ value: 'null', origin: { file, field: 'devices (default)' } }],
      configs: [],
      generated: [],
      run: undefined,
      links: [],
      account: undefined,
      allow: [],
      syslog: undefined,
      nss: [],
      runtime: [],
    });
  });

  it('applies --set values to a recipe with variables, and keeps defaults for the others', async () => {
    const file = write('vars.ts', `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  vars: { config: '/etc/hostname', mode: 'launcher' },
  recipe: (vars) => ({ name: 'vars', files: [vars.config], run: { argv: ['/x'], chroot: vars.mode === 'self' ? 'self' : 'launcher' } }),
});
`);
    const recipe = await loadRecipe(file, { set: { mode: 'self' } });
    expect(recipe.vars).toEqual({ config: '/etc/hostname', mode: 'self' });
    expect(recipe.files.map((f) => f.value.from)).toEqual(['/etc/hostname']);
    expect(recipe.run?.value).toEqual({ argv: ['/x'], chroot: 'self' });
  });

  it('merges included recipes: lists joined, single values from the including recipe first, origins kept', async () => {
    const base = write('base.ts', `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'base', files: ['/etc/hostname'], user: 'nobody', writable: [{ path: '/var/x', owner: 'nobody', group: 'nogroup', mode: 0o700, why: 'x' }] });
`);
    const top = write('top.ts', `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'top', include: ['./base.ts'], files: ['/etc/hosts'], user: 'daemon' });
`);
    const recipe = await loadRecipe(top);
    expect(recipe.name).toBe('top');
    expect(recipe.files.map((f) => [f.value.from, f.origin])).toEqual([
      ['/etc/hosts', { file: top, field: 'files.0' }],
      ['/etc/hostname', { file: base, field: 'files.0', included: 'base' }],
    ]);
    expect(recipe.user).toEqual({ value: 'daemon', origin: { file: top, field: 'user' } });
    expect(recipe.writable).toEqual([{ value: { path: '/var/x', owner: 'nobody', group: 'nogroup', mode: 0o700, why: 'x' }, origin: { file: base, field: 'writable.0', included: 'base' } }]);
  });

  it('gives the same hash to the same recipe wherever it lives, another for other variable values, the same when --set repeats a default', async () => {
    const text = `import { defineRecipe } from 'mkjail';
export default defineRecipe({ vars: { f: '/etc/hostname' }, recipe: (v) => ({ name: 'h', files: [v.f] }) });
`;
    const a = await loadRecipe(write('hash-a.ts', text));
    const b = await loadRecipe(write('hash-b.ts', text));
    const c = await loadRecipe(write('hash-c.ts', text), { set: { f: '/etc/hosts' } });
    const d = await loadRecipe(write('hash-d.ts', text), { set: { f: '/etc/hostname' } });
    expect(a.sha256).toBe(b.sha256);
    expect(c.sha256).not.toBe(a.sha256);
    expect(d.sha256).toBe(a.sha256);
  });

  it('refuses a recipe that includes itself', async () => {
    const file = write('loop.ts', `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'loop', include: ['./loop.ts'] });
`);
    await expect(loadRecipe(file)).rejects.toThrow(`Can't include recipe at ${file}: it includes itself (${file} -> ${file})`);
  });

  it('refuses a recipe file with no default export', async () => {
    const file = write('none.ts', 'export const x = 1;\n');
    await expect(loadRecipe(file)).rejects.toThrow(`Can't use recipe at ${file}: it has no default export that is a recipe (found nothing)`);
  });

  it('names the recipe when its function throws', async () => {
    const file = write('throws.ts', `import { defineRecipe } from 'mkjail';
export default defineRecipe({ vars: {}, recipe: () => { throw new Error('no config found'); } });
`);
    await expect(loadRecipe(file)).rejects.toThrow(`Can't use recipe at ${file}: its recipe function threw: no config found`);
  });
});

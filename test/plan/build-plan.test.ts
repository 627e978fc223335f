// The plan drawn from a recipe, in memory (nothing written): configs followed into entries with reasons
// and writable directories, optional files warned about, conflicting wishes refused.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadRecipe } from '../../src/recipe/load-recipe.js';

const scratch = mkdtempSync(join(tmpdir(), 'mkjail-plan-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function recipeFile(name: string, body: string): string {
  const path = join(scratch, name);
  writeFileSync(path, `import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ ${body} });\n`);
  return path;
}

describe('buildPlan', () => {
  it('follows a named.conf: files with config reasons, writable directories for the user, a warning for a missing optional file', async () => {
    const conf = join(scratch, 'named.conf');
    writeFileSync(
      conf,
      `options { directory "${scratch}/cache"; pid-file "${scratch}/run/named.pid"; bindkeys-file "${scratch}/missing.keys"; session-keyfile "${scratch}/run/session.key"; lock-file "${scratch}/run/named.lock"; };\n` +
        `zone "example.test" { type master; file "${scratch}/db.example.test"; };\n`,
    );
    writeFileSync(join(scratch, 'db.example.test'), '$TTL 60\n');
    const file = recipeFile('conf.ts', `name: 'conf', user: 'nobody', group: 'nogroup', configs: [{ format: 'named.conf', path: '${conf}' }],
      writable: [{ path: '${scratch}/run', owner: 'nobody', group: 'nogroup', mode: '0750', why: 'declared by the recipe' }]`);
    const plan = buildPlan(await loadRecipe(file));
    const byPath = new Map(plan.manifest.entries.map((e) => [e.path, e]));
    expect(byPath.get(conf)?.reasons).toEqual([{ kind: 'config', by: conf, what: 'named.conf: the configuration named reads (-c)' }]);
    expect(byPath.get(join(scratch, 'db.example.test'))?.reasons).toEqual([{ kind: 'config', by: conf, what: 'zone "example.test" file' }]);
    expect(plan.manifest.writable).toEqual([
      { path: `${scratch}/run`, owner: 'nobody', group: 'nogroup', mode: '0750', why: 'declared by the recipe' },
      { path: `${scratch}/cache`, owner: 'nobody', group: 'nogroup', mode: '0700', why: 'options.directory: working directory (managed keys, journals, dumps)' },
    ]);
    expect(byPath.get(`${scratch}/cache`)).toEqual({
      type: 'dir', path: `${scratch}/cache`, mode: '0700', uid: 65534, gid: 65534,
      reasons: [{ kind: 'writable', why: 'options.directory: working directory (managed keys, journals, dumps)' }],
    });
    expect(plan.warnings).toEqual([
      `optional file ${scratch}/missing.keys (options.bindkeys-file, in ${conf}) is not on the host; the jail goes without it`,
    ]);
  });

  it('keeps a host symlink as a symlink and brings its target in, with the reason', async () => {
    mkdirSync(join(scratch, 'links'));
    writeFileSync(join(scratch, 'links', 'real.txt'), 'real\n');
    const { symlinkSync } = await import('node:fs');
    symlinkSync('real.txt', join(scratch, 'links', 'alias.txt'));
    const plan = buildPlan(await loadRecipe(recipeFile('links.ts', `name: 'links', devices: [], files: ['${scratch}/links/alias.txt']`)));
    const entries = plan.manifest.entries.filter((e) => e.path.startsWith(`${scratch}/links`));
    expect(entries.map((e) => [e.path, e.type, e.reasons])).toEqual([
      [`${scratch}/links`, 'dir', [{ kind: 'parent-dir' }]],
      [`${scratch}/links/alias.txt`, 'symlink', [{ kind: 'recipe', field: 'files.0' }]],
      [`${scratch}/links/real.txt`, 'file', [{ kind: 'symlink-target', of: `${scratch}/links/alias.txt` }]],
    ]);
  });

  it('refuses a path wanted both as a directory and as a file', async () => {
    writeFileSync(join(scratch, 'x.txt'), 'x\n');
    const file = recipeFile('conflict.ts', `name: 'conflict', files: [{ from: './x.txt', to: '/etc/thing' }], dirs: ['/etc/thing']`);
    await expect(loadRecipe(file).then((r) => buildPlan(r))).rejects.toThrow(
      `Can't plan /etc/thing in the jail: it is wanted as a file from ${scratch}/x.txt mode 0444 (recipe) and as a directory (recipe)`,
    );
  });

  it('accepts a run program named through the jail\'s own symlinks, and refuses one that is not there', async () => {
    const viaLinks = recipeFile('run-link.ts', `name: 'run-link', binaries: ['/usr/bin/id'], run: { argv: ['/lib64/ld-linux-x86-64.so.2', '--help'] }`);
    expect(buildPlan(await loadRecipe(viaLinks)).manifest.run).toEqual({ argv: ['/lib64/ld-linux-x86-64.so.2', '--help'], env: {}, chroot: 'launcher' });
    const missing = recipeFile('run-missing.ts', `name: 'run-missing', binaries: ['/usr/bin/id'], run: { argv: ['/lib/id'] }`);
    await expect(loadRecipe(missing).then((r) => buildPlan(r))).rejects.toThrow(
      `Can't use recipe at ${missing}: field run.argv.0: /lib/id is not a program in the jail`,
    );
  });

  it('copies a { from, to } directory whole to its new place, following symlinks', async () => {
    mkdirSync(join(scratch, 'tree/sub'), { recursive: true });
    writeFileSync(join(scratch, 'tree/a.txt'), 'a\n');
    writeFileSync(join(scratch, 'tree/sub/b.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const { symlinkSync } = await import('node:fs');
    symlinkSync('a.txt', join(scratch, 'tree/link.txt'));
    const plan = buildPlan(await loadRecipe(recipeFile('tree.ts', `name: 'tree', devices: [], files: [{ from: './tree', to: '/srv/site' }]`)));
    expect(plan.manifest.entries.map((e) => [e.path, e.type, e.mode])).toEqual([
      ['/', 'dir', '0555'],
      ['/srv', 'dir', '0555'],
      ['/srv/site', 'dir', '0555'],
      ['/srv/site/a.txt', 'file', '0444'],
      ['/srv/site/link.txt', 'file', '0444'],
      ['/srv/site/sub', 'dir', '0555'],
      ['/srv/site/sub/b.sh', 'file', '0555'],
    ]);
  });

  it('refuses a symlink that points at the root directory', async () => {
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/', join(scratch, 'to-root'));
    const file = recipeFile('to-root.ts', `name: 'to-root', files: ['${scratch}/to-root']`);
    await expect(loadRecipe(file).then((r) => buildPlan(r))).rejects.toThrow(`Can't copy symlink at ${scratch}/to-root: it points at the root directory (/)`);
  });
});

// The packed package as users get it: `npm pack` from a copy of the sources that has no dist/ (prepack
// builds it), `npm install -g --prefix` of the tarball into a scratch prefix, then the installed
// `mkjail` builds a jail from a recipe outside any checkout that imports 'mkjail', and from a shipped recipe.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { packMkjail } from '../helpers/pack.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['npm'], packages: 'npm (or Node 20 with npm)' });
const DEV_ONLY = ['typescript', 'vitest', '@types/node', 'esbuild'];

describe.skipIf(!ok)('the packed, installed mkjail', () => {
  let scratch: string;
  let prefix: string;
  let packed: string;
  const installed = () => join(prefix, 'lib/node_modules/mkjail');
  const run = (args: string[]) =>
    // A clean environment but for the test file's own list of built jails (test/helpers/state-dir.ts).
    execa(join(prefix, 'bin/mkjail'), args, { cwd: scratch, reject: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', MKJAIL_STATE_DIR: process.env.MKJAIL_STATE_DIR }, extendEnv: false });

  beforeAll(async () => {
    scratch = makeScratch('packed-');
    packed = await packMkjail(scratch);
    prefix = join(scratch, 'prefix');
    await execa('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', packed], { cwd: scratch });
  }, 300_000);
  afterAll(() => {
    if (scratch) removeScratch(scratch);
  });

  it('puts mkjail on PATH with dist/ built by prepack, recipes/ shipped and no devDependency installed', async () => {
    const help = await run(['--help']);
    expect(help.exitCode, help.stderr).toBe(0);
    // The bundle alone, which bin/mkjail then runs whatever mtimes npm gave the files it extracted.
    expect(['start.cjs', 'mkjail.cjs', 'digest-worker.js'].filter((file) => existsSync(join(installed(), 'dist/bundle', file)))).toHaveLength(3);
    // No code cache of the packing machine's runs: each installation makes its own.
    expect(readdirSync(join(installed(), 'dist/bundle')).filter((file) => !file.endsWith('.js') && !file.endsWith('.cjs'))).toEqual([]);
    expect(existsSync(join(installed(), 'dist/cli'))).toBe(false);
    expect(existsSync(join(installed(), 'dist/index.js'))).toBe(true);
    expect(readdirSync(join(installed(), 'recipes')).sort()).toEqual(readdirSync(join(REPO_ROOT, 'recipes')).sort());
    const modules = readdirSync(join(installed(), 'node_modules'));
    expect(DEV_ONLY.filter((name) => modules.includes(name.split('/')[0] ?? name))).toEqual([]);
    expect(existsSync(join(installed(), 'src'))).toBe(false);
  });

  it("builds a jail from a recipe elsewhere on disk that imports 'mkjail', and from a shipped recipe", async () => {
    const recipe = join(scratch, 'elsewhere/whoami.ts');
    mkdirSync(join(scratch, 'elsewhere'), { mode: 0o755 });
    writeFileSync(recipe, "import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ name: 'whoami', binaries: ['/usr/bin/id'], user: 'nobody', group: 'nogroup', run: { argv: ['/usr/bin/id'] } });\n");
    const own = await run(['build', recipe, '--out', join(scratch, 'own')]);
    expect(own.exitCode, own.stderr).toBe(0);
    const shipped = await run(['build', join(installed(), 'recipes/id.ts'), '--out', join(scratch, 'shipped'), '--tar', join(scratch, 'id.tar')]);
    expect(shipped.exitCode, shipped.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(scratch, 'own/manifest.json'), 'utf8')) as { entries: Array<{ path: string }> };
    expect(manifest.entries.map((e) => e.path)).toContain('/usr/bin/id');
    expect(existsSync(join(scratch, 'id.tar'))).toBe(true);
  });
});

// A host file the build may not read ends the build in one line, exit 3 (the environment's fault, not
// bad input), naming the file and the fix, with nothing half-written and the old jail kept. Root reads
// any file through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so each build runs with both dropped from
// its bounding set (setpriv), as a container or a hardened unit may run it: mode 000 then refuses root
// too. A file can also become unreadable between plan and stage; the build's own step runner chmods it
// at the very step that stages the tree, so that this is deterministic.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { MKJAIL_BIN, REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['setpriv', 'getent'], packages: 'util-linux' });

/** setpriv's arguments that take root's power to read and search any file away from what it runs. */
const DROP = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search'];

const ACCESS = 'let mkjail read it and search its directories (run as root with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, which a container, setpriv or an LSM can take away, or chmod u+r it and u+x its directories)';
const FIX = `(fix: ${ACCESS}, or leave it out of the recipe; nothing was written and any old jail is unchanged)`;

/** A jail, run as nobody, of data/version.txt, /dev/null (with `dev=yes`), data/tree (with `tree=yes`), data/prog (with `bin=yes`) and data/named.conf (with `conf=yes`). */
const RECIPE = `import { defineRecipe } from 'mkjail';
const data = \`\${import.meta.dirname}/data\`;
export default defineRecipe({
  vars: { tree: 'no', bin: 'no', conf: 'no', dev: 'no' },
  recipe: (vars) => ({
    name: 'denied',
    user: 'nobody',
    group: 'nogroup',
    // No /dev unless asked: its 0111 keeps a rebuild without CAP_DAC_READ_SEARCH from comparing the old tree.
    devices: vars.dev === 'yes' ? ['null' as const] : [],
    files: [
      { from: \`\${data}/version.txt\`, to: '/etc/version' },
      ...(vars.tree === 'yes' ? [{ from: \`\${data}/tree\`, to: '/srv/tree' }] : []),
    ],
    binaries: vars.bin === 'yes' ? [\`\${data}/prog\`] : [],
    configs: vars.conf === 'yes' ? [{ format: 'named.conf' as const, path: \`\${data}/named.conf\` }] : [],
  }),
});
`;

/**
 * Runs runBuild (the build's own code, from dist/) with a step runner that makes `file` unreadable (0000)
 * as the step that stages the new tree starts; prints the error's exit code and line, or "built".
 */
const BETWEEN_PLAN_AND_STAGE = `import { chmodSync } from 'node:fs';
const { runBuild } = await import(process.argv[2]);
const [, , , recipe, out, file] = process.argv;
const step = async (title, work) => {
  if (title.startsWith('Stage the new jail')) chmodSync(file, 0);
  return work();
};
try {
  await runBuild({ recipe, out }, step);
  console.log('built');
} catch (error) {
  console.log(JSON.stringify({ exitCode: error.exitCode, line: typeof error.toLine === 'function' ? error.toLine() : String(error) }));
}
`;

describe.skipIf(!ok)('a host file the build may not read', () => {
  const scratch = ok ? makeScratch('host-denied-') : '';
  afterAll(() => removeScratch(scratch));
  let dir: string;
  let data: string;
  let count = 0;

  beforeEach(() => {
    dir = join(scratch, `case-${++count}`);
    data = join(dir, 'data');
    mkdirSync(join(data, 'tree'), { recursive: true });
    writeFileSync(join(dir, 'recipe.ts'), RECIPE);
    writeFileSync(join(data, 'version.txt'), 'one\n');
    writeFileSync(join(data, 'tree/a.txt'), 'a\n');
    writeFileSync(join(data, 'prog'), readFileSync('/usr/bin/true'), { mode: 0o755 });
    writeFileSync(join(data, 'zone.db'), '$TTL 1h\n@ SOA ns h 1 1h 1h 1h 1h\n@ NS ns\nns A 127.0.0.1\n');
    writeFileSync(join(data, 'named.conf'), `zone "example" { type primary; file "${join(data, 'zone.db')}"; };\n`);
  });

  const build = async (set: Record<string, string>, drop = true) => {
    const args = [process.execPath, MKJAIL_BIN, 'build', join(dir, 'recipe.ts'), '--out', join(dir, 'out'), '--json', ...Object.entries(set).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
    const result = await execa(drop ? 'setpriv' : args[0] as string, drop ? [...DROP, ...args] : args.slice(1), { reject: false });
    return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
  const recipeLine = (field: string, what: string) => `mkjail build: Can't use recipe at ${join(dir, 'recipe.ts')}: field ${field}: ${what} ${FIX}`;
  const nothingStaged = () => readdirSync(join(dir, 'out')).filter((n) => n.startsWith('.mkjail-staging'));

  it('builds as root with both capabilities dropped while every file is readable (the drop alone breaks nothing)', async () => {
    const result = await build({ tree: 'yes', bin: 'yes', conf: 'yes' });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('refuses a file at mode 0000 in one line, exit 3, and keeps the old jail', async () => {
    expect((await build({}, false)).exitCode).toBe(0);
    writeFileSync(join(data, 'version.txt'), 'two\n');
    chmodSync(join(data, 'version.txt'), 0);
    const result = await build({});
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`mkjail build: Can't read host file at ${join(data, 'version.txt')}: permission denied ${FIX}`);
    expect(readFileSync(join(dir, 'out/root/etc/version'), 'utf8')).toBe('one\n');
    expect(nothingStaged()).toEqual([]);
  });

  it('says permission denied, not "does not exist", for a file below a directory it may not search, and writes nothing', async () => {
    chmodSync(join(data, 'tree'), 0);
    const result = await build({ tree: 'yes' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(recipeLine('files.1', `can't read host path ${join(data, 'tree')}: permission denied`));
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('refuses a program at mode 0000 and a zone file named.conf names at mode 0000 the same way', async () => {
    chmodSync(join(data, 'prog'), 0);
    const program = await build({ bin: 'yes' });
    expect(program.exitCode).toBe(3);
    expect(program.stderr).toBe(`mkjail build: Can't use recipe at ${join(dir, 'recipe.ts')}: field binaries.0: Can't open ELF file at ${join(data, 'prog')}: permission denied (fix: ${ACCESS})`);
    chmodSync(join(data, 'zone.db'), 0);
    const zone = await build({ conf: 'yes' });
    expect(zone.exitCode).toBe(3);
    expect(zone.stderr).toBe(recipeLine('configs.0', `can't read host path ${join(data, 'zone.db')}: permission denied`));
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('refuses the recipe itself at mode 0000, and an included recipe below a directory it may not search', async () => {
    chmodSync(join(dir, 'recipe.ts'), 0);
    const recipe = await build({});
    expect(recipe.exitCode).toBe(3);
    expect(recipe.stderr).toBe(`mkjail build: Can't read recipe at ${join(dir, 'recipe.ts')}: permission denied (fix: ${ACCESS})`);
    chmodSync(join(dir, 'recipe.ts'), 0o644);
    mkdirSync(join(dir, 'private'));
    writeFileSync(join(dir, 'private/base.ts'), "import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ name: 'base' });\n");
    chmodSync(join(dir, 'private'), 0);
    writeFileSync(join(dir, 'recipe.ts'), RECIPE.replace("name: 'denied',", "name: 'denied',\n    include: ['./private/base.ts'],"));
    const include = await build({});
    expect(include.exitCode).toBe(3);
    expect(include.stderr).toBe(`mkjail build: Can't use recipe at ${join(dir, 'recipe.ts')}: field include.0: can't reach ${join(dir, 'private/base.ts')}: permission denied (fix: ${ACCESS})`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('stops in one line when a file becomes unreadable between plan and stage: staging removed, old jail kept', async () => {
    expect((await build({}, false)).exitCode).toBe(0);
    writeFileSync(join(data, 'version.txt'), 'two\n');
    const script = join(dir, 'between.mjs');
    writeFileSync(script, BETWEEN_PLAN_AND_STAGE);
    const runBuild = `file://${REPO_ROOT}dist/stage/run-build.js`;
    const result = await execa('setpriv', [...DROP, process.execPath, script, runBuild, join(dir, 'recipe.ts'), join(dir, 'out'), join(data, 'version.txt')], { reject: false });
    expect(result.stderr).toBe('');
    expect(JSON.parse(String(result.stdout))).toEqual({
      exitCode: 3,
      line: `Can't read host file at ${join(data, 'version.txt')}: permission denied ${FIX}`,
    });
    expect(readFileSync(join(dir, 'out/root/etc/version'), 'utf8')).toBe('one\n');
    expect(nothingStaged()).toEqual([]);
  });

  it('says in one line that a rebuild without CAP_DAC_READ_SEARCH can not read the old jail (its /dev is 0111), and keeps it', async () => {
    expect((await build({ dev: 'yes' }, false)).exitCode).toBe(0);
    const result = await build({ dev: 'yes' });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe(
      `mkjail build: Can't read tree entry at ${join(dir, 'out/root/dev')}: permission denied (fix: run as root, with CAP_DAC_READ_SEARCH (a container or setpriv may have taken it): the jail is root-owned and tight)`,
    );
    expect(readFileSync(join(dir, 'out/root/etc/version'), 'utf8')).toBe('one\n');
    expect(nothingStaged()).toEqual([]);
  });
});

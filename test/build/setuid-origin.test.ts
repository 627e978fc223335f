// A setuid program whose library is found through `$ORIGIN/../lib` in an untrusted directory: on the host
// the loader runs it in secure mode and ignores that RPATH element (`mkjail deps` says so, exit 1), but
// its copy in the jail has no setuid bit and loads the library. The build resolves it as it will run in
// the jail. Checked with the real loader: the jail's copy, run by path, loads the jail's library.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'getent', 'mknod'], packages: 'gcc' });

describe.skipIf(!ok)('a setuid program with an $ORIGIN RPATH', () => {
  const scratch = ok ? makeScratch('setuid-origin-') : '';
  const program = join(scratch, 'app/bin/greet');
  const library = join(scratch, 'app/lib/libgreet.so');
  let jail: BuiltJail;

  beforeAll(async () => {
    mkdirSync(join(scratch, 'app/bin'), { recursive: true });
    mkdirSync(join(scratch, 'app/lib'), { recursive: true });
    writeFileSync(join(scratch, 'greet.c'), 'const char *greeting(void) { return "hello from $ORIGIN"; }\n');
    writeFileSync(join(scratch, 'main.c'), '#include <stdio.h>\nconst char *greeting(void);\nint main(void) { puts(greeting()); return 0; }\n');
    execFileSync('gcc', ['-shared', '-fPIC', '-o', library, join(scratch, 'greet.c')]);
    execFileSync('gcc', ['-o', program, join(scratch, 'main.c'), `-L${join(scratch, 'app/lib')}`, '-lgreet', '-Wl,--disable-new-dtags,-rpath,$ORIGIN/../lib']);
    chmodSync(program, 0o4755);
    const recipe = `import { defineRecipe } from 'mkjail';\nexport default defineRecipe({ recipe: () => ({ name: 'setuid-origin', binaries: [${JSON.stringify(program)}] }) });\n`;
    jail = await buildJail(recipe);
  });
  afterAll(() => {
    jail?.cleanup();
    if (scratch) removeScratch(scratch);
  });

  it('is resolved in secure mode by mkjail deps, as the host runs it: the library is not found', async () => {
    const result = await mkjail(['deps', program]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout + result.stderr).toContain('libgreet.so');
  });

  it('is built as its jail copy runs: no setuid bit, its $ORIGIN library in the jail', () => {
    const entry = (path: string) => jail.manifest.entries.find((e) => e.path === path);
    expect(entry(program)).toMatchObject({ type: 'file', mode: '0555' });
    expect(entry(library)).toMatchObject({ type: 'file', reasons: [{ kind: 'needed', soname: 'libgreet.so', by: program, via: 'rpath' }] });
  });

  it('loads that library with the real loader: the jail copy, run by its path, finds it through $ORIGIN', () => {
    const output = execFileSync(join(jail.root, program), { encoding: 'utf8', env: {} });
    expect(output).toBe('hello from $ORIGIN\n');
  });
});

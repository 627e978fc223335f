// A jail for a program whose `.note.dlopen` (added with objcopy) names a plugin it loads with dlopen():
// the plugin and its needs are jailed, each with the reason `needed ... dlopen`, and the program loads
// it inside the jail as nobody; an absent `required` library is one recipe error and nothing is built.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMkjailError } from '../../src/errors.js';
import { buildJail, type BuiltJail } from '../helpers/build-jail.js';
import { addDlopenNote } from '../helpers/dlopen-note.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'objcopy', 'chroot'], packages: 'gcc binutils coreutils' });

describe.skipIf(!ok)('a jail for a program with a .note.dlopen', () => {
  let dir = '';
  const jails: BuiltJail[] = [];
  const gccIn = (args: string[]) => execaSync('gcc', args, { cwd: dir });
  const recipe = (program: string) => `import { defineRecipe } from 'mkjail';
export default defineRecipe({ name: 'noted', binaries: ['${join(dir, program)}'], user: 'nobody', group: 'nogroup' });
`;

  beforeAll(() => {
    dir = makeScratch('dlopen-note-');
    mkdirSync(join(dir, 'plugins'), { mode: 0o755 });
    writeFileSync(join(dir, 'dep.c'), 'int dep(void) { return 42; }\n');
    writeFileSync(join(dir, 'plug.c'), 'int dep(void);\nint plug(void) { return dep(); }\n');
    writeFileSync(
      join(dir, 'main.c'),
      '#include <dlfcn.h>\n#include <stdio.h>\nint main(void) {\n  void *h = dlopen("libplug.so.1", RTLD_NOW);\n  if (!h) { puts(dlerror()); return 1; }\n  int (*plug)(void) = (int (*)(void))dlsym(h, "plug");\n  printf("plug says %d\\n", plug());\n  return 0;\n}\n',
    );
    gccIn(['-shared', '-fPIC', '-Wl,-soname,libdep.so.1', '-o', 'plugins/libdep.so.1', 'dep.c']);
    gccIn(['-shared', '-fPIC', '-Wl,-soname,libplug.so.1', '-o', 'plugins/libplug.so.1', 'plug.c', '-Lplugins', '-l:libdep.so.1', '-Wl,--enable-new-dtags,-rpath,$ORIGIN']);
    gccIn(['-o', 'prog', 'main.c', `-Wl,--enable-new-dtags,-rpath,${dir}/plugins`]);
    gccIn(['-o', 'bare', 'main.c', `-Wl,--enable-new-dtags,-rpath,${dir}/plugins`]);
    addDlopenNote(join(dir, 'prog'), [{ soname: ['libplug.so.1'], priority: 'required', feature: 'plug' }]);
    gccIn(['-o', 'needs-absent', 'main.c']);
    addDlopenNote(join(dir, 'needs-absent'), [{ soname: ['libnot-here.so.3'], priority: 'required', feature: 'gone' }]);
  });
  afterAll(() => {
    for (const jail of jails) jail.cleanup();
    removeScratch(dir);
  });

  const runAsNobody = (root: string, program: string) =>
    spawnSync('chroot', ['--userspec=65534:65534', '--groups=65534', root, join(dir, program)], { encoding: 'utf8' });

  it('jails the noted plugin and what it needs, and the program loads it as nobody', async () => {
    const jail = await buildJail(recipe('prog'));
    jails.push(jail);
    const reasons = new Map(jail.manifest.entries.map((e) => [e.path, e.reasons]));
    expect(reasons.get(join(dir, 'plugins/libplug.so.1'))).toEqual([
      { kind: 'needed', soname: 'libplug.so.1', by: join(dir, 'prog'), via: 'runpath', dlopen: { priority: 'required', feature: 'plug' } },
    ]);
    expect(reasons.get(join(dir, 'plugins/libdep.so.1'))).toEqual([{ kind: 'needed', soname: 'libdep.so.1', by: join(dir, 'plugins/libplug.so.1'), via: 'runpath' }]);
    expect(runAsNobody(jail.root, 'prog')).toMatchObject({ status: 0, stdout: 'plug says 42\n' });
  });

  it('without the note the plugin is not jailed, and the program fails as the user would see it', async () => {
    const jail = await buildJail(recipe('bare'));
    jails.push(jail);
    expect(existsSync(join(jail.root, dir, 'plugins/libplug.so.1'))).toBe(false);
    expect(runAsNobody(jail.root, 'bare')).toMatchObject({ status: 1, stdout: 'libplug.so.1: cannot open shared object file: No such file or directory\n' });
  });

  it('refuses, in one line naming the field and the note, a required library the host lacks', async () => {
    let caught: unknown;
    try {
      jails.push(await buildJail(recipe('needs-absent')));
    } catch (error) {
      caught = error;
    }
    expect(isMkjailError(caught) && caught.message).toMatch(
      new RegExp(`^Can't use recipe at .*/recipe\\.ts: field binaries\\.0: libnot-here\\.so\\.3, a required library in the \\.note\\.dlopen of ${dir}/needs-absent \\(feature 'gone'\\), is not found on the host$`),
    );
  });
});

// Libraries named in `.note.dlopen`s are part of the closure: found as dlopen() from the noting object
// would find them (its RUNPATH first), with their own DT_NEEDED libraries and notes; a `required` one
// that is absent is missing, the others are left out. `mkjail deps` shows each with its priority.
import { mkdirSync, writeFileSync } from 'node:fs';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveClosure } from '../../src/resolve/library-closure.js';
import { mkjail } from '../helpers/cli.js';
import { addDlopenNote } from '../helpers/dlopen-note.js';
import { prerequisites } from '../helpers/prereq.js';
import { scratchDir } from './helpers/build-elf.js';

const ok = prerequisites({ commands: ['gcc', 'objcopy'], packages: 'gcc binutils' });
const LIBZ = '/lib/x86_64-linux-gnu/libz.so.1';

describe.skipIf(!ok)('the closure with .note.dlopen', () => {
  let dir = '';
  let cleanup = () => {};
  const gccIn = (args: string[]) => execaSync('gcc', args, { cwd: dir });

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('dlopen-closure'));
    mkdirSync(`${dir}/plugins`);
    writeFileSync(`${dir}/dep.c`, 'int dep(void) { return 1; }\n');
    writeFileSync(`${dir}/plug.c`, 'int dep(void);\nint plug(void) { return dep(); }\n');
    writeFileSync(`${dir}/main.c`, 'int main(void) { return 0; }\n');
    gccIn(['-shared', '-fPIC', '-Wl,-soname,libdep.so.1', '-o', 'plugins/libdep.so.1', 'dep.c']);
    gccIn(['-shared', '-fPIC', '-Wl,-soname,libsub.so.1', '-o', 'plugins/libsub.so.1', 'dep.c']);
    gccIn(['-shared', '-fPIC', '-Wl,-soname,libplug.so.1', '-o', 'plugins/libplug.so.1', 'plug.c', '-Lplugins', '-l:libdep.so.1', '-Wl,--enable-new-dtags,-rpath,$ORIGIN']);
    addDlopenNote(`${dir}/plugins/libplug.so.1`, [{ soname: ['libsub.so.1'], priority: 'suggested' }]);
    gccIn(['-o', 'prog', 'main.c', `-Wl,--enable-new-dtags,-rpath,${dir}/plugins`]);
    addDlopenNote(`${dir}/prog`, [
      { soname: ['libplug.so.1'], priority: 'required', feature: 'plug' },
      { soname: ['libnot-here.so.9'], priority: 'suggested' },
      { soname: ['libnot-here.so.1', 'libz.so.1'] },
    ]);
    gccIn(['-o', 'needs-absent', 'main.c']);
    addDlopenNote(`${dir}/needs-absent`, [{ soname: ['libnot-here.so.3'], priority: 'required', feature: 'gone' }]);
  });
  afterAll(() => cleanup());

  it('brings in each noted library that is present, its needs and its own notes, with the priority', () => {
    const closure = resolveClosure([`${dir}/prog`]);
    const noted = closure.edges.filter((e) => e.dlopen).map((e) => ({ by: e.by, soname: e.soname, path: e.path, via: e.via, priority: e.dlopen?.priority }));
    expect(noted).toEqual([
      { by: `${dir}/prog`, soname: 'libplug.so.1', path: `${dir}/plugins/libplug.so.1`, via: 'runpath', priority: 'required' },
      { by: `${dir}/prog`, soname: 'libnot-here.so.9', path: undefined, via: undefined, priority: 'suggested' },
      { by: `${dir}/prog`, soname: 'libz.so.1', path: LIBZ, via: 'ld.so.cache', priority: 'recommended' },
      { by: `${dir}/plugins/libplug.so.1`, soname: 'libsub.so.1', path: `${dir}/plugins/libsub.so.1`, via: 'runpath', priority: 'suggested' },
    ]);
    expect(closure.edges).toContainEqual({ soname: 'libdep.so.1', by: `${dir}/plugins/libplug.so.1`, path: `${dir}/plugins/libdep.so.1`, via: 'runpath' });
    expect(closure.missing).toEqual([]);
  });

  it('reports an absent required library as missing, with its note', () => {
    expect(resolveClosure([`${dir}/needs-absent`]).missing).toEqual([
      { soname: 'libnot-here.so.3', neededBy: `${dir}/needs-absent`, dlopen: { priority: 'required', feature: 'gone', sonames: ['libnot-here.so.3'] } },
    ]);
  });

  it('mkjail deps --json shows the noted libraries with their priority; the tree says dlopen', async () => {
    const json = await mkjail(['deps', '--json', `${dir}/prog`]);
    expect(json.exitCode).toBe(0);
    const edges = (JSON.parse(json.stdout) as { edges: Array<{ soname: string; dlopen?: { priority: string } }> }).edges;
    expect(edges.filter((e) => e.dlopen).map((e) => [e.soname, e.dlopen?.priority])).toEqual([
      ['libplug.so.1', 'required'],
      ['libnot-here.so.9', 'suggested'],
      ['libz.so.1', 'recommended'],
      ['libsub.so.1', 'suggested'],
    ]);
    const tree = await mkjail(['deps', `${dir}/prog`]);
    expect(tree.stdout).toContain(`    libplug.so.1 => ${dir}/plugins/libplug.so.1 (runpath, dlopen required 'plug')\n`);
    expect(tree.stdout).toContain('    libnot-here.so.9 => not found (dlopen suggested, optional)\n');
  });

  it('mkjail deps exits 1 when a required noted library is absent', async () => {
    expect(await mkjail(['deps', '--list', `${dir}/needs-absent`])).toMatchObject({
      exitCode: 1,
      stderr: `mkjail deps: missing libnot-here.so.3 (required by the .note.dlopen of ${dir}/needs-absent)`,
    });
  });
});

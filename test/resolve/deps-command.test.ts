// `mkjail deps` end to end (bin/mkjail, built first): the tree, --list, --json, missing libraries
// (exit 1, rest still printed), bad input (exit 2, one line), on programs built with gcc.
import { mkdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, scratchDir, sharedLibrary } from './helpers/build-elf.js';

const ok = prerequisites({ commands: ['gcc'], packages: 'gcc' });
const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';
const LD_SO = '/lib64/ld-linux-x86-64.so.2';

describe.skipIf(!ok)('mkjail deps', () => {
  let dir = '';
  let cleanup = () => {};

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('deps-cli'));
    mkdirSync(`${dir}/lib`);
    sharedLibrary(`${dir}/lib`, 'liba.so.1.0', 'liba.c', ['-Wl,-soname,liba.so.1']);
    symlinkSync('liba.so.1.0', `${dir}/lib/liba.so.1`);
    symlinkSync('liba.so.1', `${dir}/lib/liba.so`);
    sharedLibrary(`${dir}/lib`, 'libb.so', 'libb.c', ['-L.', '-la', '-Wl,-rpath,$ORIGIN']);
    gcc(dir, ['-o', 'prog', 'main-b.c', '-Llib', '-lb', '-Wl,-rpath-link,lib,-rpath,$ORIGIN/lib']);
    sharedLibrary(dir, 'libgone.so', 'liba.c');
    gcc(dir, ['-o', 'broken', 'main-a.c', '-L.', '-lgone']);
    unlinkSync(`${dir}/libgone.so`);
    writeFileSync(`${dir}/script.sh`, '#!/bin/sh\n');
    gcc(dir, ['-o', 'alien', 'plain.c', '-Wl,--dynamic-linker=/opt/nowhere/ld.so']);
  });

  afterAll(() => cleanup());

  it('draws a tree saying where each library was found and how', async () => {
    expect(await mkjail(['deps', `${dir}/prog`])).toEqual({
      exitCode: 0,
      stdout: [
        `${dir}/prog`,
        `    interpreter ${LD_SO}`,
        `    libb.so => ${dir}/lib/libb.so (runpath)`,
        `        liba.so.1 => ${dir}/lib/liba.so.1 (runpath)`,
        `    libc.so.6 => ${LIBC} (ld.so.cache)`,
        `        ld-linux-x86-64.so.2 => ${LD_SO} (interpreter)`,
      ].join('\n'),
      stderr: '',
    });
  });

  it('lists each path once with --list, as the loader opens them', async () => {
    expect(await mkjail(['deps', '--list', `${dir}/prog`, `${dir}/lib/libb.so`])).toEqual({
      exitCode: 0,
      stdout: [`${dir}/prog`, LD_SO, `${dir}/lib/libb.so`, LIBC, `${dir}/lib/liba.so.1`].join('\n'),
      stderr: '',
    });
  });

  it('gives the edges and symlink chains with --json', async () => {
    const result = await mkjail(['deps', '--json', `${dir}/prog`]);
    const json = JSON.parse(result.stdout);
    expect({ exitCode: result.exitCode, root: json.root, missing: json.missing, edges: json.edges.slice(0, 3) }).toEqual({
      exitCode: 0,
      root: '/',
      missing: [],
      edges: [
        { soname: 'libb.so', by: `${dir}/prog`, path: `${dir}/lib/libb.so`, via: 'runpath' },
        { soname: 'libc.so.6', by: `${dir}/prog`, path: LIBC, via: 'ld.so.cache' },
        { soname: 'liba.so.1', by: `${dir}/lib/libb.so`, path: `${dir}/lib/liba.so.1`, via: 'runpath' },
      ],
    });
    expect(json.objects.find((o: { path: string }) => o.path === `${dir}/lib/liba.so.1`)).toEqual({
      path: `${dir}/lib/liba.so.1`,
      kind: 'library',
      real: `${dir}/lib/liba.so.1.0`,
      links: [{ path: `${dir}/lib/liba.so.1`, target: 'liba.so.1.0' }],
    });
  });

  it('reports every missing library on stderr with exit 1, and still prints the rest', async () => {
    expect(await mkjail(['deps', '--list', `${dir}/broken`])).toEqual({
      exitCode: 1,
      stdout: [`${dir}/broken`, LD_SO, LIBC].join('\n'),
      stderr: `mkjail deps: missing libgone.so (needed by ${dir}/broken)`,
    });
  });

  it('reports a missing interpreter like a missing library, in the tree too', async () => {
    expect(await mkjail(['deps', `${dir}/alien`])).toEqual({
      exitCode: 1,
      stdout: [`${dir}/alien`, '    interpreter /opt/nowhere/ld.so => not found', `    libc.so.6 => ${LIBC} (ld.so.cache)`, `        ld-linux-x86-64.so.2 => /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 (ld.so.cache)`].join('\n'),
      stderr: `mkjail deps: missing /opt/nowhere/ld.so (needed by ${dir}/alien)`,
    });
  });

  it('rejects a file that is not ELF with one line and exit 2', async () => {
    expect(await mkjail(['deps', `${dir}/script.sh`])).toEqual({
      exitCode: 2,
      stdout: '',
      stderr: `mkjail deps: Can't read ELF file at ${dir}/script.sh: not an ELF file (no \\x7fELF magic) (fix: pass an ELF executable or shared library)`,
    });
  });

  it('rejects a missing file, a missing root, a directory and conflicting options with exit 2', async () => {
    const results = await Promise.all([
      mkjail(['deps', `${dir}/nothing`]),
      mkjail(['deps', '--root', `${dir}/nowhere`, '/bin/ls']),
      mkjail(['deps', '--list', '--json', `${dir}/prog`]),
      mkjail(['deps', dir]),
      mkjail(['deps']),
    ]);
    expect(results).toEqual([
      { exitCode: 2, stdout: '', stderr: `mkjail deps: Can't read ELF file at ${dir}/nothing: no such file (fix: check the path; it must name a regular file (symlinks are followed))` },
      { exitCode: 2, stdout: '', stderr: `mkjail deps: Can't use root directory at ${dir}/nowhere: no such directory (fix: pass --root a directory that holds a system tree (usr/, etc/, lib/))` },
      { exitCode: 2, stdout: '', stderr: "mkjail deps: bad arguments: --list and --json exclude each other (fix: run 'mkjail deps --help')" },
      { exitCode: 2, stdout: '', stderr: `mkjail deps: Can't read ELF file at ${dir}: not a regular file (fix: check the path; it must name a regular file (symlinks are followed))` },
      { exitCode: 2, stdout: '', stderr: "mkjail deps: bad arguments: no FILE given (fix: run 'mkjail deps --help')" },
    ]);
  });
});

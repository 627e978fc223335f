// The resolver against the loader on this machine's own files: every ELF executable and shared
// library under /usr/bin, /usr/sbin, /usr/lib/x86_64-linux-gnu and /usr/lib32, compared with ldd.
import { closeSync, existsSync, lstatSync, openSync, readSync, readdirSync, realpathSync } from 'node:fs';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveClosure } from '../../src/resolve/library-closure.js';
import type { Closure } from '../../src/resolve/types.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { asLddWouldList, type LddResult, lddCommand, parseLdd } from './helpers/build-elf.js';

const ok = prerequisites({ commands: ['ldd', 'qemu-i386'], packages: 'libc-bin qemu-user' });
const PARALLEL_LDD = 2;

/** Regular files (not symlinks) that are ELF executables or shared objects, sorted. */
function elfFiles(dir: string, recurse: boolean): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = `${dir}/${name}`;
    const stats = lstatSync(path);
    if (stats.isDirectory() && recurse) found.push(...elfFiles(path, true));
    if (stats.isFile() && isDynamicOrExecutableElf(path)) found.push(path);
  }
  return found;
}

function isDynamicOrExecutableElf(path: string): boolean {
  const head = Buffer.alloc(18);
  const fd = openSync(path, 'r');
  try {
    if (readSync(fd, head, 0, 18, 0) < 18 || head.readUInt32BE(0) !== 0x7f454c46) return false;
    const type = head[5] === 2 ? head.readUInt16BE(16) : head.readUInt16LE(16);
    return type === 2 || type === 3;
  } finally {
    closeSync(fd);
  }
}

/** ldd of every file, at most PARALLEL_LDD at a time. */
async function lddAll(files: string[]): Promise<Map<string, LddResult>> {
  const results = new Map<string, LddResult>();
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++] as string;
      const [command, ...args] = lddCommand(file);
      const { stdout } = await execa(command as string, args, { reject: false, timeout: 30_000 });
      results.set(file, parseLdd(String(stdout)));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_LDD }, worker));
  return results;
}

describe.skipIf(!ok)('resolveClosure compared with ldd on every system ELF file', () => {
  let programs: string[] = [];
  let libraries: string[] = [];
  let oracle = new Map<string, LddResult>();

  beforeAll(async () => {
    programs = [...elfFiles('/usr/bin', false), ...elfFiles('/usr/sbin', false)];
    // /usr/lib32 (gcc-multilib) adds the 32-bit loader's rules (asked under qemu-i386 where the kernel
    // runs no 32-bit code); /usr/libx32 is left out: no kernel here runs x32 code, so no loader answers.
    libraries = [...elfFiles('/usr/lib/x86_64-linux-gnu', true), ...(existsSync('/usr/lib32') ? elfFiles('/usr/lib32', true) : [])];
    oracle = await lddAll([...programs, ...libraries]);
  }, 180_000);

  it('finds what the loader maps for every executable and library, with no difference', () => {
    expect(programs.length).toBeGreaterThan(300);
    expect(libraries.length).toBeGreaterThan(300);
    const differences = [...programs, ...libraries].flatMap((file) => {
      const ours = asLddWouldList(resolveClosure([file]), file);
      const theirs = oracle.get(file) as LddResult;
      const self = realpathSync(file);
      const expected = { paths: theirs.paths.filter((p) => p !== self), missing: theirs.missing };
      return JSON.stringify(ours) === JSON.stringify(expected) ? [] : [{ file, ours, ldd: expected }];
    });
    expect(differences).toEqual([]);
  });

  it('gives every found edge a `via` and every missing one none, over the closure of all executables', () => {
    const closure = resolveClosure(programs);
    expect(closure.edges.filter((edge) => (edge.path === undefined) !== (edge.via === undefined))).toEqual([]);
    expect(closure.objects.filter((object) => object.kind === 'input').length).toBe(programs.length);
  });

  it('gives for all executables at once exactly the union of their closures resolved one by one', () => {
    const together = resolveClosure(programs);
    const alone = programs.map((program) => resolveClosure([program]));
    const facts = (closures: Closure[]) => ({
      objects: [...new Set(closures.flatMap((c) => c.objects.map((o) => JSON.stringify(o))))].sort(),
      edges: [...new Set(closures.flatMap((c) => c.edges.map((e) => JSON.stringify(e))))].sort(),
      missing: [...new Set(closures.flatMap((c) => c.missing.map((m) => JSON.stringify(m))))].sort(),
    });
    expect(facts([together])).toEqual(facts(alone));
    expect(together.objects.slice(0, 2).map((o) => o.kind)).toEqual(['input', 'interpreter']);
  });

  it('lists with `mkjail deps --list` every path ldd lists, for all executables in one process', async () => {
    const result = await mkjail(['deps', '--list', ...programs]);
    const listed = new Set(result.stdout.trim().split('\n').map((path) => realpathSync(path)));
    const expected = new Set(programs.map((p) => realpathSync(p)));
    for (const file of programs) for (const path of (oracle.get(file) as LddResult).paths) expected.add(path);
    const missing = programs.flatMap((file) => (oracle.get(file) as LddResult).missing);
    expect({ exitCode: result.exitCode, paths: [...listed].sort(), stderr: result.stderr }).toEqual({
      exitCode: missing.length === 0 ? 0 : 1,
      paths: [...expected].sort(),
      stderr: '',
    });
  });
});

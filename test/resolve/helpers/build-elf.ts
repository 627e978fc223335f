// Builds real ELF objects from the C sources in fixtures/elf with gcc, and asks ldd (the oracle, on
// these trusted files only) what the loader maps for them.
import { closeSync, mkdtempSync, openSync, readSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import type { Closure } from '../../../src/resolve/types.js';
import { REPO_ROOT } from '../../helpers/cli.js';

export const FIXTURES = `${REPO_ROOT}fixtures/elf`;

/** A fresh scratch directory (its real path) and a function that removes it. */
export function scratchDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), `mkjail-${prefix}-`)));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs gcc in `cwd`; source names are files of fixtures/elf. */
export function gcc(cwd: string, args: string[]): void {
  execaSync('gcc', args.map((arg) => (arg.endsWith('.c') ? `${FIXTURES}/${arg}` : arg)), { cwd });
}

/** Builds a shared library `out` from `source` (extra flags after). */
export function sharedLibrary(cwd: string, out: string, source: string, extra: string[] = []): void {
  gcc(cwd, ['-shared', '-fPIC', '-o', out, source, ...extra]);
}

export interface LddResult {
  /** Real paths of everything ldd lists (vdso left out). */
  paths: string[];
  /** Names ldd reports "not found". */
  missing: string[];
}

/** What ldd reports for `file`: sorted real paths, and the names it could not find. */
export function ldd(file: string): LddResult {
  const [command, ...args] = lddCommand(file);
  const { stdout } = execaSync(command as string, args, { reject: false });
  return parseLdd(String(stdout));
}

const LOADER_32 = '/lib/ld-linux.so.2';
let native32: boolean | undefined;

/**
 * The command that asks the loader what it maps for `file`: ldd, except for a 32-bit x86 file on a
 * kernel that can't execute one (IA-32 emulation off), where the 32-bit loader itself lists it under
 * qemu-i386's user-mode emulation. Same loader, same cache, same output; only the CPU is emulated.
 */
export function lddCommand(file: string): string[] {
  if (!isElf32x86(file) || canRun32()) return ['ldd', file];
  return ['qemu-i386', LOADER_32, '--list', file];
}

/** The command that runs the program `file`: itself, or under qemu-i386 as lddCommand says. */
export function runCommand(file: string): string[] {
  return !isElf32x86(file) || canRun32() ? [file] : ['qemu-i386', file];
}

function canRun32(): boolean {
  native32 ??= execaSync(LOADER_32, ['--version'], { reject: false }).exitCode === 0;
  return native32;
}

function isElf32x86(file: string): boolean {
  const head = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    const read = readSync(fd, head, 0, 20, 0);
    return read === 20 && head.readUInt32BE(0) === 0x7f454c46 && head[4] === 1 && head.readUInt16LE(18) === 3;
  } finally {
    closeSync(fd);
  }
}

/** ldd's output as real paths (vdso and other pathless lines left out) and names not found. */
export function parseLdd(stdout: string): LddResult {
  const paths = new Set<string>();
  const missing: string[] = [];
  for (const line of stdout.split('\n')) {
    const notFound = /^\t(\S+) => not found/.exec(line);
    const mapped = /=> (\/\S+) \(0x/.exec(line) ?? /^\t(\/\S+) \(0x/.exec(line);
    if (notFound?.[1]) missing.push(notFound[1]);
    else if (mapped?.[1]) paths.add(realpathSync.native(mapped[1]));
  }
  return { paths: [...paths].sort(), missing: missing.sort() };
}

/**
 * The closure of `input` as ldd would list it: real paths except the input itself, and the names not
 * found. One explained difference: ldd lists the interpreter only when a loaded object names it in
 * DT_NEEDED (libc does); when libc itself is missing, the interpreter is loaded but not listed.
 */
export function asLddWouldList(closure: Closure, input: string): LddResult {
  const self = closure.objects.find((o) => o.path === input)?.real;
  const needed = new Set(closure.edges.map((e) => e.path));
  const listed = closure.objects.filter((o) => o.real !== self && (o.kind !== 'interpreter' || needed.has(o.path)));
  return {
    paths: [...new Set(listed.map((o) => o.real))].sort(),
    missing: [...new Set(closure.missing.map((m) => m.soname))].sort(),
  };
}

// The static load check: every program of the jail (an ELF file with PT_INTERP) must find its
// interpreter and every library of its process inside the jail, resolved as glibc's loader would with
// the jail as `/`, without /proc (nothing is run); ELF files no program loads are checked on their own.
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { ByteSource } from '../elf/byte-source.js';
import { type ElfInfo, readElf } from '../elf/read-elf.js';
import { EXIT, isMkjailError } from '../errors.js';
import { hostPath } from '../fs/path-in-root.js';
import { readEntryStart, type ObservedEntry } from '../fs/read-tree.js';
import { resolveClosure } from '../resolve/library-closure.js';
import type { Closure } from '../resolve/types.js';
import type { Drift } from './drift.js';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** The ELF files of the jail, split by how the loader meets them. */
interface ElfFiles {
  /** Executables the kernel starts: each is the main program of a process. */
  programs: string[];
  /** The programs whose RPATH, RUNPATH or DT_NEEDED use $ORIGIN. */
  originUsers: Set<string>;
  /** Everything else: libraries, plugins, static programs, the interpreter. */
  others: string[];
  /** Files that are not loadable ELF objects. */
  broken: Drift[];
}

/** `load` drifts of the regular files `files` of the jail at `root` (non-ELF files are skipped). */
export function checkLoading(root: string, files: readonly ObservedEntry[]): Drift[] {
  const elves = files.filter((file) => file.size >= ELF_MAGIC.length && isElf(root, file)).map((file) => file.path);
  if (elves.length === 0) return [];
  const split = splitElfFiles(root, elves);
  try {
    return [...split.broken, ...missingInContext(root, split)];
  } catch (error) {
    if (!isBadElf(error)) throw error;
    // A broken library spoils the closures that reach it: check each program alone, then what none reached.
    return [...split.broken, ...checkEachAlone(root, split)];
  }
}

/**
 * Programs are resolved as the processes they start, so a library found through its program's
 * RPATH/RUNPATH is checked where the loader looks for it; the files no program reaches (plugins
 * loaded with dlopen) are then resolved alone.
 */
function missingInContext(root: string, split: ElfFiles): Drift[] {
  let programs = resolveInJail(root, split.programs);
  const loadedAsLibraries = programs ? [...split.originUsers].filter((path) => isLoadedAsLibrary(programs as Closure, path)) : [];
  if (loadedAsLibraries.length > 0) {
    // A library with a PT_INTERP (libc has one) is loaded, not started: its $ORIGIN is its directory.
    programs = resolveInJail(root, split.programs.filter((path) => !loadedAsLibraries.includes(path)));
  }
  const reached = new Set([...(programs?.objects.map((object) => object.real) ?? []), ...loadedAsLibraries]);
  const alone = resolveInJail(root, split.others.filter((path) => !reached.has(path)));
  return [programs, alone].flatMap((closure) => (closure ? driftsOf(closure) : []));
}

/** True when some object of `closure` needs the file at real path `path`. */
function isLoadedAsLibrary(closure: Closure, path: string): boolean {
  const realOf = new Map(closure.objects.map((object) => [object.path, object.real]));
  return closure.edges.some((edge) => edge.path !== undefined && realOf.get(edge.path) === path);
}

function checkEachAlone(root: string, split: ElfFiles): Drift[] {
  const reached = new Set<string>();
  const drifts = split.programs.flatMap((path) => checkOne(root, path, reached));
  return [...drifts, ...split.others.filter((path) => !reached.has(path)).flatMap((path) => checkOne(root, path, reached))];
}

/** The drifts of `path` resolved alone (the real paths it reaches are added to `reached`). */
function checkOne(root: string, path: string, reached: Set<string>): Drift[] {
  try {
    const closure = resolveInJail(root, [path]);
    for (const object of closure?.objects ?? []) reached.add(object.real);
    return closure ? driftsOf(closure) : [];
  } catch (error) {
    if (!isBadElf(error)) throw error;
    return [badElf(path, error)];
  }
}

/**
 * A jail never has /proc mounted (the audit flags a mount there): a program's $ORIGIN is unknown. The
 * cache step reads the jail's /etc/ld.so.cache, or nothing: the loader never reads ld.so.conf.
 */
function resolveInJail(root: string, paths: string[]): Closure | undefined {
  return paths.length === 0 ? undefined : resolveClosure(paths, { root, programOrigin: 'unknown', ldSoCache: 'loader' });
}

function driftsOf(closure: Closure): Drift[] {
  // One object may be reached by two paths (as an input, and through /lib -> usr/lib as a library):
  // report each missing name once, at the object's real path (the one the manifest lists).
  const realOf = new Map(closure.objects.map((object) => [object.path, object.real]));
  const seen = new Set<string>();
  const drifts: Drift[] = [];
  for (const missing of closure.missing) {
    const path = realOf.get(missing.neededBy) ?? missing.neededBy;
    const key = `${path}\0${missing.soname}`;
    if (seen.has(key)) continue;
    seen.add(key);
    drifts.push({ kind: 'load', path, expected: missing.soname, found: 'nothing in the jail' });
  }
  return drifts;
}

function splitElfFiles(root: string, elves: string[]): ElfFiles {
  const split: ElfFiles = { programs: [], originUsers: new Set(), others: [], broken: [] };
  for (const path of elves) {
    try {
      const info = readJailElf(root, path);
      (info.interpreter === undefined ? split.others : split.programs).push(path);
      if (info.interpreter !== undefined && usesOrigin(info)) split.originUsers.add(path);
    } catch (error) {
      if (!isBadElf(error)) throw error;
      split.broken.push(badElf(path, error));
    }
  }
  return split;
}

/** The ELF headers of the jail file `path`, never through a symlink. */
function readJailElf(root: string, path: string): ElfInfo {
  // isElf has just read this regular file: an error opening it again is not the jail's fault.
  const fd = openSync(hostPath(root, path), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    return readElf(new ByteSource(fd, fstatSync(fd).size), path);
  } finally {
    closeSync(fd);
  }
}

function usesOrigin(info: ElfInfo): boolean {
  return [info.rpath, info.runpath, ...info.needed].some((text) => text !== undefined && /\$(ORIGIN|\{ORIGIN\})/.test(text));
}

function badElf(path: string, error: unknown): Drift {
  return { kind: 'load', path, expected: 'a loadable ELF file', found: (error as Error).message };
}

function isElf(root: string, file: ObservedEntry): boolean {
  return readEntryStart(root, file, ELF_MAGIC.length).equals(ELF_MAGIC);
}

function isBadElf(error: unknown): boolean {
  return isMkjailError(error) && error.exitCode === EXIT.badInput;
}

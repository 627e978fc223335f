// What failed inside a jail: every open, exec, connect, create or removal that a chrooted process of the
// traced run could not do (ENOENT, ENOTDIR, EACCES, EPERM, EROFS), with what the same path is on the
// host. The "what is missing" answer, from one traced start of the service.
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readElfFile } from '../elf/read-elf.js';
import type { PathEvent } from './trace-events.js';

export interface JailFailure {
  /** The path as the jailed program named it (inside the jail). */
  path: string;
  errno: string;
  by: string;
  syscall: string;
  /** What the host has at the same path: `a file (1234 bytes)`, `a directory`, `a symlink to X`, `nothing`. */
  host: string;
}

const FAILURES = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EROFS']);
/** The loader's own files: mkjail writes a jail's ld.so.cache only when its libraries need one. */
const LOADER_FILES = new Set(['/etc/ld.so.cache', '/etc/ld.so.preload']);
const LIBRARY = /\.so(\.\d+)*$/;

/**
 * Failures of chrooted processes, one per path and errno, sorted by path. A library the loader or
 * dlopen() looked for in many directories and found in none is one failure, at the path the host's
 * loader would find it (the programs' RPATH/RUNPATH, then the system directories).
 */
export function jailFailures(events: PathEvent[]): JailFailure[] {
  const seen = new Map<string, JailFailure>();
  const found = new Set(events.filter((event) => event.root !== undefined && event.errno === undefined).map((event) => basename(event.path)));
  const programs = [...new Set(events.filter((event) => event.op === 'exec' && event.errno === undefined).map((event) => event.path))];
  for (const event of events) {
    if (event.root === undefined || event.errno === undefined || !FAILURES.has(event.errno)) continue;
    if (event.op === 'probe' || event.op === 'chown' || LOADER_FILES.has(event.path)) continue;
    let path = event.path;
    if (event.op === 'read' && LIBRARY.test(path) && !existsSync(path)) {
      if (found.has(basename(path))) continue;
      path = hostLibrary(basename(path), programs) ?? path;
    }
    const key = `${path}\0${event.errno}`;
    if (!seen.has(key)) seen.set(key, { path, errno: event.errno, by: event.program, syscall: event.syscall, host: onTheHost(path) });
  }
  return [...seen.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Where the host has library `name`: in a directory of a program's RPATH/RUNPATH, or a system directory. */
function hostLibrary(name: string, programs: string[]): string | undefined {
  const dirs: string[] = [];
  for (const program of programs) {
    try {
      const elf = readElfFile(program);
      for (const list of [elf.rpath, elf.runpath]) for (const dir of (list ?? '').split(':')) if (dir.startsWith('/')) dirs.push(dir.replaceAll('$ORIGIN', dirname(program)));
    } catch {
      // not an ELF program (a script): no search path of its own
    }
  }
  dirs.push('/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib');
  return dirs.map((dir) => join(dir, name)).find((path) => existsSync(path));
}

function onTheHost(path: string): string {
  try {
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) return `a symlink to ${readlinkSync(path)}`;
    if (stats.isDirectory()) return 'a directory';
    if (stats.isFile()) return `a file (${stats.size} bytes)`;
    if (stats.isSocket()) return 'a socket';
    if (stats.isCharacterDevice()) return 'a character device';
    return 'a special file';
  } catch {
    return 'nothing';
  }
}

/** One line per failure, the ones the host has first (the likely fixes), then those it lacks too. */
export function renderJailFailures(failures: JailFailure[]): string {
  if (failures.length === 0) return 'nothing failed inside the jail\n';
  const present = failures.filter((failure) => failure.host !== 'nothing');
  const absent = failures.filter((failure) => failure.host === 'nothing');
  const line = (failure: JailFailure) => `  ${failure.path}  ${failure.errno} (${failure.by}, ${failure.syscall}); on the host: ${failure.host}`;
  const lines = [`failed inside the jail, present on the host (${present.length}):`, ...present.map(line)];
  if (absent.length > 0) lines.push(`failed inside the jail, absent on the host too (${absent.length}):`, ...absent.map(line));
  return `${lines.join('\n')}\n`;
}

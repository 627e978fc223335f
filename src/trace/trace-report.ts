// What a traced run touched, deduplicated and grouped: files read, libraries mapped, programs executed,
// paths created or written (with the user that did it), UNIX sockets connected, paths probed and not
// found, paths refused, and /proc, /sys and /dev in their own groups. Each entry names the program and
// the system call.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { lookUpHostUser } from '../plan/host-accounts.js';
import type { PathEvent } from './trace-events.js';

export const ENTRY_KINDS = ['read', 'library', 'exec', 'listed', 'created', 'written', 'removed', 'socket', 'missing', 'denied', 'proc', 'sys', 'dev'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface TraceEntry {
  path: string;
  kind: EntryKind;
  /** The program that did it (the first one, when several did). */
  by: string;
  /** Every program that did it, when more than one did. */
  programs?: string[];
  syscall: string;
  /** created/written/removed: the user that did it (a name when the host knows the uid). */
  user?: string;
  /** created: the user the program then gave the path to with chown(). */
  owner?: string;
  /** Why the call failed (missing, denied; EEXIST for a directory created that was already there). */
  errno?: string;
}

const DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);
const MISSING = new Set(['ENOENT', 'ENOTDIR']);

/** The entries of a trace, one per path and kind, in ENTRY_KINDS order then by path. */
export function traceEntries(events: PathEvent[]): TraceEntry[] {
  const names = new UserNames();
  const owners = chownTargets(events);
  const seen = new Map<string, TraceEntry>();
  for (const event of events) {
    const kind = kindOf(event);
    if (!kind) continue;
    const key = `${kind}\0${event.path}`;
    const known = seen.get(key);
    if (known) {
      if (known.by !== event.program && !known.programs?.includes(event.program)) known.programs = [...(known.programs ?? [known.by]), event.program];
      continue;
    }
    const entry: TraceEntry = { path: event.path, kind, by: event.program, syscall: event.syscall };
    if (kind === 'created' || kind === 'written' || kind === 'removed') entry.user = names.of(event.uid);
    const owner = owners.get(event.path);
    if (kind === 'created' && owner !== undefined) entry.owner = names.of(owner);
    if (event.errno) entry.errno = event.errno;
    seen.set(key, entry);
  }
  const rank = (kind: EntryKind) => ENTRY_KINDS.indexOf(kind);
  return [...seen.values()].sort((a, b) => rank(a.kind) - rank(b.kind) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function kindOf(event: PathEvent): EntryKind | undefined {
  const area = specialArea(event.path);
  if (event.op === 'chown') return undefined;
  if (area) return event.op === 'probe' && event.errno === undefined ? undefined : area;
  if (event.errno !== undefined) {
    if (event.op === 'mkdir' && event.errno === 'EEXIST') return 'created';
    if (DENIED.has(event.errno)) return 'denied';
    if (MISSING.has(event.errno)) return 'missing';
    return undefined;
  }
  switch (event.op) {
    case 'exec':
      return 'exec';
    case 'read':
      if (isDirectory(event.path)) return 'listed';
      return isElf(event.path) ? 'library' : 'read';
    case 'list':
      return 'listed';
    case 'write':
      return 'written';
    case 'create':
    case 'mkdir':
      return 'created';
    case 'remove':
      return 'removed';
    case 'connect':
      return 'socket';
    default:
      return undefined;
  }
}

function specialArea(path: string): 'proc' | 'sys' | 'dev' | undefined {
  for (const area of ['proc', 'sys', 'dev'] as const) if (path === `/${area}` || path.startsWith(`/${area}/`)) return area;
  return undefined;
}

/** The uid each path was last given by a successful chown(). */
function chownTargets(events: PathEvent[]): Map<string, number> {
  const owners = new Map<string, number>();
  for (const event of events) if (event.op === 'chown' && event.errno === undefined && event.chownUid !== undefined) owners.set(event.path, event.chownUid);
  return owners;
}

/** A directory opened without O_DIRECTORY (to fstat or fchdir it) is listed, not read. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** True when the host file starts with the ELF magic (a library the loader or dlopen() mapped). */
function isElf(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.equals(ELF_MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

class UserNames {
  readonly #names = new Map<number, string>();

  of(uid: number): string {
    let name = this.#names.get(uid);
    if (name === undefined) {
      name = lookUpHostUser(String(uid))?.name ?? String(uid);
      this.#names.set(uid, name);
    }
    return name;
  }
}

const HEADINGS: Record<EntryKind, string> = {
  read: 'files read',
  library: 'libraries mapped (by the loader or dlopen)',
  exec: 'programs executed',
  listed: 'directories listed',
  created: 'created (candidates for writable)',
  written: 'written (candidates for writable)',
  removed: 'removed or renamed away (their directory must be writable)',
  socket: 'UNIX sockets connected',
  missing: 'probed and not found',
  denied: 'refused (permission denied, read-only)',
  proc: '/proc',
  sys: '/sys',
  dev: '/dev',
};

/** The report as text: one heading per group that has entries, one line per entry. */
export function renderTraceEntries(entries: TraceEntry[]): string {
  const lines: string[] = [];
  for (const kind of ENTRY_KINDS) {
    const group = entries.filter((entry) => entry.kind === kind);
    if (group.length === 0) continue;
    lines.push(`${HEADINGS[kind]} (${group.length}):`);
    for (const entry of group) lines.push(`  ${entry.path}  ${describeEntry(entry)}`);
  }
  return lines.length === 0 ? 'nothing traced\n' : `${lines.join('\n')}\n`;
}

function describeEntry(entry: TraceEntry): string {
  const programs = (entry.programs ?? [entry.by]).join(', ');
  const who = entry.user === undefined ? programs : `${programs} as ${entry.user}`;
  const extra = [entry.errno, entry.owner === undefined ? undefined : `then chown to ${entry.owner}`].filter(Boolean).join(', ');
  return `(${who}, ${entry.syscall}${extra ? `: ${extra}` : ''})`;
}

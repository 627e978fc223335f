// Turns strace's system calls into what they did to paths: read, created, written, removed, executed,
// connected, probed; each with the process's program and effective user at that moment. A child
// inherits its parent's program, user and directory at its clone(); execve() renames the program,
// setuid() and friends change the user, chdir() and -y's `AT_FDCWD</dir>` give the directory that
// relative paths are taken from.
import { posix } from 'node:path';
import { decodeQuoted, descriptorPath, type SyscallRecord } from './strace-syntax.js';

export type Operation = 'read' | 'list' | 'write' | 'create' | 'mkdir' | 'remove' | 'exec' | 'connect' | 'probe' | 'chown';

export interface PathEvent {
  pid: number;
  /** The program (basename of what the process last executed) that made the call. */
  program: string;
  /** Its effective uid then. */
  uid: number;
  syscall: string;
  op: Operation;
  /** Absolute path as the program named it (made absolute against its directory, normalised). */
  path: string;
  /** The errno when the call failed (`EEXIST` from mkdir() is a failure here too). */
  errno: string | undefined;
  /** For chown(): the uid the path was given. */
  chownUid?: number;
  /** The host directory the process had chroot()ed into when it made the call (paths are inside it). */
  root?: string;
}

interface ProcessState {
  program: string;
  uid: number;
  cwd: string;
  /** Set by a successful chroot(): the host directory that is now `/`. */
  root?: string;
}

/** The system call's path argument positions: [directory descriptor index or -1, path index]. */
const PATH_CALLS: Record<string, { dir: number; path: number; op: Operation | 'open' }> = {
  open: { dir: -1, path: 0, op: 'open' },
  openat: { dir: 0, path: 1, op: 'open' },
  openat2: { dir: 0, path: 1, op: 'open' },
  creat: { dir: -1, path: 0, op: 'create' },
  execve: { dir: -1, path: 0, op: 'exec' },
  execveat: { dir: 0, path: 1, op: 'exec' },
  mkdir: { dir: -1, path: 0, op: 'mkdir' },
  mkdirat: { dir: 0, path: 1, op: 'mkdir' },
  unlink: { dir: -1, path: 0, op: 'remove' },
  unlinkat: { dir: 0, path: 1, op: 'remove' },
  rmdir: { dir: -1, path: 0, op: 'remove' },
  truncate: { dir: -1, path: 0, op: 'write' },
  link: { dir: -1, path: 1, op: 'create' },
  linkat: { dir: 2, path: 3, op: 'create' },
  symlink: { dir: -1, path: 1, op: 'create' },
  symlinkat: { dir: 1, path: 2, op: 'create' },
  mknod: { dir: -1, path: 0, op: 'create' },
  mknodat: { dir: 0, path: 1, op: 'create' },
  chown: { dir: -1, path: 0, op: 'chown' },
  lchown: { dir: -1, path: 0, op: 'chown' },
  fchownat: { dir: 0, path: 1, op: 'chown' },
  access: { dir: -1, path: 0, op: 'probe' },
  faccessat: { dir: 0, path: 1, op: 'probe' },
  faccessat2: { dir: 0, path: 1, op: 'probe' },
  stat: { dir: -1, path: 0, op: 'probe' },
  lstat: { dir: -1, path: 0, op: 'probe' },
  newfstatat: { dir: 0, path: 1, op: 'probe' },
  statx: { dir: 0, path: 1, op: 'probe' },
  readlink: { dir: -1, path: 0, op: 'probe' },
  readlinkat: { dir: 0, path: 1, op: 'probe' },
};

const CLONES = new Set(['clone', 'clone3', 'fork', 'vfork']);

/** The events of a whole trace, in the order the calls started. `start` is the traced command's first state. */
export function pathEvents(records: SyscallRecord[], start: { uid: number; cwd: string; program: string }): PathEvent[] {
  const states = new Map<number, ProcessState>();
  const events: PathEvent[] = [];
  for (const record of records) {
    let state = states.get(record.pid);
    if (!state) {
      state = { ...start };
      states.set(record.pid, state);
    }
    const cwd = record.args[0]?.startsWith('AT_FDCWD<') ? descriptorPath(record.args[0]) : undefined;
    if (cwd) state.cwd = insideRoot(cwd, state.root);
    if (CLONES.has(record.name)) {
      if (record.value !== undefined && record.value > 0) states.set(record.value, { ...state });
      continue;
    }
    if (trackIdentity(record, state)) continue;
    const root = state.root;
    // A path strace printed from outside (a -y directory descriptor) is made the path the jailed process sees.
    events.push(...eventsOf(record, state).map((event) => (root === undefined ? event : { ...event, path: insideRoot(event.path, root), root })));
    if (record.name === 'execve' || record.name === 'execveat') {
      const path = events.at(-1)?.path;
      if (record.errno === undefined && path) state.program = posix.basename(path);
    }
  }
  return events;
}

/** setuid(), setresuid(), setreuid(), chdir() and fchdir() change the state; true when the record was one of them. */
function trackIdentity(record: SyscallRecord, state: ProcessState): boolean {
  const ok = record.errno === undefined;
  const number = (index: number) => Number(record.args[index]);
  switch (record.name) {
    case 'setuid':
      if (ok) state.uid = number(0);
      return true;
    case 'setreuid':
    case 'setresuid':
      if (ok && number(1) !== -1 && Number.isInteger(number(1))) state.uid = number(1);
      return true;
    case 'fchdir': {
      const path = descriptorPath(record.args[0] ?? '');
      if (ok && path !== undefined) state.cwd = insideRoot(path, state.root);
      return true;
    }
    case 'chroot': {
      const path = decodeQuoted(record.args[0] ?? '');
      if (ok && path !== undefined) state.root = posix.resolve(state.root ?? '/', posix.resolve(state.cwd, path).replace(/^\/+/, ''));
      return true;
    }
    case 'chdir': {
      const path = decodeQuoted(record.args[0] ?? '');
      if (ok && path !== undefined) state.cwd = posix.resolve(state.cwd, path);
      return true;
    }
    default:
      return false;
  }
}

function eventsOf(record: SyscallRecord, state: ProcessState): PathEvent[] {
  if (record.name === 'rename' || record.name === 'renameat' || record.name === 'renameat2') return renameEvents(record, state);
  if (record.name === 'connect' || record.name === 'bind') return socketEvents(record, state);
  const shape = PATH_CALLS[record.name];
  if (!shape) return [];
  const named = decodeQuoted(record.args[shape.path] ?? '');
  // fstat-like calls on a descriptor (`newfstatat(3</x>, "", ..., AT_EMPTY_PATH)`) name no path.
  if (named === undefined || named === '') return [];
  const path = absolute(named, shape.dir >= 0 ? record.args[shape.dir] : undefined, state.cwd);
  const op = shape.op === 'open' ? openOperation(record) : shape.op;
  const event: PathEvent = { pid: record.pid, program: state.program, uid: state.uid, syscall: record.name, op, path, errno: record.errno };
  if (op === 'chown') {
    const uid = Number(record.args[shape.path + 1]);
    if (Number.isInteger(uid) && uid >= 0) event.chownUid = uid;
  }
  return [event];
}

/** read, list (a directory), write, or create, from open()'s flags. */
function openOperation(record: SyscallRecord): Operation {
  const flags = record.name === 'open' ? record.args[1] : record.args[2];
  const words = new Set((flags ?? '').replace(/[{}]/g, '').replace(/^flags=/, '').split(/[|,\s]+/));
  if (words.has('O_CREAT') || words.has('O_TMPFILE')) return 'create';
  if (words.has('O_WRONLY') || words.has('O_RDWR')) return 'write';
  if (words.has('O_DIRECTORY')) return 'list';
  return 'read';
}

function renameEvents(record: SyscallRecord, state: ProcessState): PathEvent[] {
  const [fromDir, from, toDir, to] = record.name === 'rename' ? [undefined, 0, undefined, 1] : [0, 1, 2, 3];
  const base = { pid: record.pid, program: state.program, uid: state.uid, syscall: record.name, errno: record.errno };
  const events: PathEvent[] = [];
  const fromPath = decodeQuoted(record.args[from] ?? '');
  const toPath = decodeQuoted(record.args[to] ?? '');
  if (fromPath) events.push({ ...base, op: 'remove', path: absolute(fromPath, fromDir === undefined ? undefined : record.args[fromDir], state.cwd) });
  if (toPath) events.push({ ...base, op: 'create', path: absolute(toPath, toDir === undefined ? undefined : record.args[toDir], state.cwd) });
  return events;
}

/** connect() and bind() to a UNIX socket path (`{sa_family=AF_UNIX, sun_path="/dev/log"}`); abstract ones are left out. */
function socketEvents(record: SyscallRecord, state: ProcessState): PathEvent[] {
  const address = record.args[1] ?? '';
  if (!address.includes('AF_UNIX')) return [];
  const match = /sun_path=("(?:[^"\\]|\\.)*")/.exec(address);
  const path = match ? decodeQuoted(match[1] ?? '') : undefined;
  if (!path) return [];
  const op: Operation = record.name === 'bind' ? 'create' : 'connect';
  return [{ pid: record.pid, program: state.program, uid: state.uid, syscall: record.name, op, path: posix.resolve(state.cwd, path), errno: record.errno }];
}

/** A host path (as -y prints it, from outside) as the chrooted process sees it. */
function insideRoot(path: string, root: string | undefined): string {
  if (root === undefined || root === '/') return path;
  if (path === root) return '/';
  return path.startsWith(`${root}/`) ? path.slice(root.length) : path;
}

/** `named` made absolute against the directory descriptor strace decorated (-y), or the process's directory. */
function absolute(named: string, dirArg: string | undefined, cwd: string): string {
  if (named.startsWith('/')) return posix.normalize(named);
  const base = dirArg === undefined ? cwd : (descriptorPath(dirArg) ?? cwd);
  return posix.resolve(base, named);
}

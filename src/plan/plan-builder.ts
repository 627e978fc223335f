// Accumulates the entries of a jail while the plan is drawn: adds parent directories, merges the reasons
// of a path planned twice, and refuses a path planned as two different things.
import { posix } from 'node:path';
import { MkjailError } from '../errors.js';
import { type ManifestEntry, type Reason, comparePaths } from './manifest.js';
import { DIR_MODE, PARENT_DIR_REASON, ROOT_GID, ROOT_UID } from './policy.js';

/**
 * Where a file's bytes come from when the jail is staged: bytes, or a host file (a path without
 * symlinks) with the device, inode and owner the plan saw there.
 */
export type Content = HostContent | { kind: 'bytes'; data: Buffer };
export interface HostContent {
  kind: 'host';
  path: string;
  dev: number;
  ino: number;
  uid: number;
  gid: number;
  /**
   * The stamp (device, inode, size, times) of the file whose bytes gave the entry's sha256, when it
   * was stable: a copy that opens a file with this very stamp has those bytes, and need not hash them.
   */
  stamp?: string;
}

export class PlanBuilder {
  private readonly entries = new Map<string, ManifestEntry>();
  /** The reasons an entry holds, as JSON, so that merging one is a lookup (libc gets one per binary). */
  private readonly reasonKeys = new WeakMap<Reason[], Set<string>>();
  readonly contents = new Map<string, Content>();
  readonly warnings: string[] = [];

  constructor() {
    this.entries.set('/', { type: 'dir', path: '/', mode: DIR_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [PARENT_DIR_REASON] });
  }

  get(path: string): ManifestEntry | undefined {
    return this.entries.get(path);
  }

  /** Adds `entry` (and root-owned 0555 parents); a second add of the same thing only adds its reasons. */
  add(entry: ManifestEntry, content?: Content): void {
    this.addParents(entry.path);
    const existing = this.entries.get(entry.path);
    if (!existing) {
      this.entries.set(entry.path, entry);
      if (content) this.contents.set(entry.path, content);
      return;
    }
    if (!sameThing(existing, entry)) {
      throw new MkjailError(`Can't plan ${entry.path} in the jail: it is wanted as ${describe(existing)} and as ${describe(entry)}`, {
        hint: 'make the recipe ask for one of them (a path cannot be both)',
      });
    }
    if (existing.type === 'dir' && existing.reasons.every((r) => r.kind === 'parent-dir')) existing.reasons = [];
    for (const reason of entry.reasons) this.addReason(existing, reason);
  }

  /** Replaces the attributes of an entry already planned (writable paths take their declared owner). */
  replace(entry: ManifestEntry): void {
    this.entries.set(entry.path, entry);
  }

  /** The planned symlink that `path` (or one of its parents) would cross, if any. */
  symlinkOnTheWay(path: string): string | undefined {
    for (let dir = path; dir !== '/'; dir = posix.dirname(dir)) {
      if (this.entries.get(dir)?.type === 'symlink') return dir;
    }
    return undefined;
  }

  /** The entry `path` names once the jail's own planned symlinks are followed (as the kernel would in the jail). */
  resolve(path: string, hops = 0): ManifestEntry | undefined {
    if (hops > 40) return undefined;
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const prefix = `/${parts.slice(0, i).join('/')}`;
      const entry = this.entries.get(prefix);
      if (entry?.type !== 'symlink') continue;
      const target = posix.resolve(posix.dirname(prefix), entry.target);
      return this.resolve(posix.join(target, ...parts.slice(i)), hops + 1);
    }
    return this.entries.get(posix.normalize(path));
  }

  /** Every entry, sorted by path. */
  sorted(): ManifestEntry[] {
    return [...this.entries.values()].sort((a, b) => comparePaths(a.path, b.path));
  }

  /** Adds `reason` to `entry` unless it holds an equal one already. */
  private addReason(entry: ManifestEntry, reason: Reason): void {
    // Keyed by the reasons array itself: an entry given new reasons (or replaced) starts a fresh set.
    let keys = this.reasonKeys.get(entry.reasons);
    if (!keys) {
      keys = new Set(entry.reasons.map((r) => JSON.stringify(r)));
      this.reasonKeys.set(entry.reasons, keys);
    }
    const key = JSON.stringify(reason);
    if (keys.has(key)) return;
    keys.add(key);
    entry.reasons.push(reason);
  }

  private addParents(path: string): void {
    const parents: string[] = [];
    for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) parents.unshift(dir);
    for (const dir of parents) {
      const existing = this.entries.get(dir);
      if (existing?.type === 'dir') continue;
      if (existing) {
        throw new MkjailError(`Can't plan ${path} in the jail: its parent ${dir} is ${describe(existing)}`, {
          hint: `name the real path instead of one through ${dir}`,
        });
      }
      this.entries.set(dir, { type: 'dir', path: dir, mode: DIR_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [PARENT_DIR_REASON] });
    }
  }
}


function sameThing(a: ManifestEntry, b: ManifestEntry): boolean {
  if (a.type !== b.type || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  switch (a.type) {
    case 'dir':
      return true;
    case 'file':
      return b.type === 'file' && a.sha256 === b.sha256;
    case 'symlink':
      return b.type === 'symlink' && a.target === b.target;
    case 'chardev':
      return b.type === 'chardev' && a.major === b.major && a.minor === b.minor;
    default: {
      const never: never = a;
      return never;
    }
  }
}

function describe(entry: ManifestEntry): string {
  const why = entry.reasons[0] ? ` (${entry.reasons[0].kind})` : '';
  switch (entry.type) {
    case 'dir':
      return `a directory${why}`;
    case 'file':
      return `a file${entry.source ? ` from ${entry.source}` : ''} mode ${entry.mode}${why}`;
    case 'symlink':
      return `a symlink to ${entry.target}${why}`;
    case 'chardev':
      return `a device ${entry.major},${entry.minor}${why}`;
    default: {
      const never: never = entry;
      return never;
    }
  }
}

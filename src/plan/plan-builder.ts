// Accumulates the entries of a jail while the plan is drawn: adds parent directories, merges the reasons
// of a path planned twice, and refuses a path planned as two different things.
import { posix } from 'node:path';
import { MkjailError } from '../errors.js';
import { HostDigests } from './host-digests.js';
import type { HostContent } from './host-read.js';
import { type ManifestEntry, type Reason, comparePaths } from './manifest.js';
import { DIR_MODE, PARENT_DIR_REASON, ROOT_GID, ROOT_UID } from './policy.js';

export type { HostContent };

/**
 * Where a file's bytes come from when the jail is staged: bytes, or a host file (a path without
 * symlinks) with the device, inode and owner the plan saw there.
 */
export type Content = HostContent | { kind: 'bytes'; data: Buffer };

/** The sha256 of a host file entry whose bytes are still being hashed (`settleDigests` fills it in). */
export const PENDING_SHA256 = 'pending';

type FileEntry = Extract<ManifestEntry, { type: 'file' }>;

export class PlanBuilder {
  private readonly entries = new Map<string, ManifestEntry>();
  /** The reasons an entry holds, by `reasonKey`, so that merging one is a lookup (libc gets one per binary). */
  private readonly reasonKeys = new WeakMap<Reason[], Set<string>>();
  readonly contents = new Map<string, Content>();
  readonly warnings: string[] = [];
  /** The hashing of the host files planned, which may go on beside the planning. */
  readonly digests = new HostDigests();

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
    if (!sameThing(existing, entry) || !this.sameBytes(existing, entry, content)) {
      throw new MkjailError(`Can't plan ${entry.path} in the jail: it is wanted as ${describe(existing)} and as ${describe(entry)}`, {
        hint: 'make the recipe ask for one of them (a path cannot be both)',
      });
    }
    this.addReasons(existing, entry.reasons);
  }

  /** Adds to the planned `entry` each of `reasons` it does not hold yet (a directory's own reasons replace its parent-dir one). */
  addReasons(entry: ManifestEntry, reasons: Reason[]): void {
    if (entry.type === 'dir' && entry.reasons.every((r) => r.kind === 'parent-dir')) entry.reasons = [];
    for (const reason of reasons) this.addReason(entry, reason);
  }

  /**
   * Waits for the host files' digests and puts each into its entries (sha256, size) and content (the
   * stamp): after this, every file entry is final.
   */
  async settleDigests(): Promise<void> {
    const digestOf = await this.digests.settle();
    for (const entry of this.entries.values()) {
      if (entry.type !== 'file' || entry.sha256 !== PENDING_SHA256) continue;
      const content = hostContent(entry, this.contents.get(entry.path));
      const digest = digestOf(content);
      entry.sha256 = digest.sha256;
      entry.size = digest.size;
      if (digest.stamp !== undefined) content.stamp = digest.stamp;
    }
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

  /** Two file entries at one path hold the same bytes: the same host file, or the same sha256 (hashed now if need be). */
  private sameBytes(existing: ManifestEntry, entry: ManifestEntry, content: Content | undefined): boolean {
    if (existing.type !== 'file' || entry.type !== 'file') return true;
    if (existing.sha256 !== PENDING_SHA256 && entry.sha256 !== PENDING_SHA256) return existing.sha256 === entry.sha256;
    const before = this.contents.get(existing.path);
    if (before?.kind === 'host' && content?.kind === 'host' && sameHostFile(before, content)) return true;
    return this.sha256Now(existing, before) === this.sha256Now(entry, content);
  }

  private sha256Now(entry: FileEntry, content: Content | undefined): string {
    return entry.sha256 === PENDING_SHA256 ? this.digests.now(hostContent(entry, content)).sha256 : entry.sha256;
  }

  /** Adds `reason` to `entry` unless it holds an equal one already. */
  private addReason(entry: ManifestEntry, reason: Reason): void {
    // Keyed by the reasons array itself: an entry given new reasons (or replaced) starts a fresh set.
    let keys = this.reasonKeys.get(entry.reasons);
    if (!keys) {
      keys = new Set(entry.reasons.map(reasonKey));
      this.reasonKeys.set(entry.reasons, keys);
    }
    const key = reasonKey(reason);
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
      return b.type === 'file';
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

/** Equal for equal reasons; a 'needed' one (libc gets one from every object that needs it) is spelt out without JSON. */
function reasonKey(reason: Reason): string {
  return reason.kind === 'needed' && reason.dlopen === undefined ? `needed\0${reason.soname}\0${reason.by}\0${reason.via}` : JSON.stringify(reason);
}

/** The host file a file entry still being hashed comes from (there is one: only host files are hashed late). */
function hostContent(entry: FileEntry, content: Content | undefined): HostContent {
  if (content?.kind !== 'host') throw new Error(`${entry.path} is planned with no digest and no host file`);
  return content;
}

function sameHostFile(a: HostContent, b: HostContent): boolean {
  return a.path === b.path && a.dev === b.dev && a.ino === b.ino;
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

// File lookups inside a root, cached: does a path name a regular file (following symlinks inside the
// root only), which file is it (device and inode), and what does it parse to as ELF.
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { errnoCode, isMkjailError } from '../errors.js';
import { readElfFile, type ElfInfo } from '../elf/read-elf.js';
import { hostPath, type ResolvedInRoot, resolveInRoot } from '../fs/path-in-root.js';

/** Linux gives up after 40 symlinks in one lookup (ELOOP). */
const MAX_SYMLINK_HOPS = 40;

export interface FoundFile {
  /** Where to open it on this machine. */
  host: string;
  /** Device and inode: two paths to one file are one object for the loader. */
  id: string;
  size: number;
  /** Permission bits, with setuid/setgid. */
  mode: number;
}

/**
 * RootFiles by root, shared by several resolves of one moment (a build's binaries, each resolved two or
 * three ways): each file is looked up and parsed as ELF once, not once per resolve.
 */
export class SharedLookups {
  private readonly byRoot = new Map<string, RootFiles>();

  of(root: string): RootFiles {
    let files = this.byRoot.get(root);
    if (!files) {
      files = new RootFiles(root);
      this.byRoot.set(root, files);
    }
    return files;
  }
}

export class RootFiles {
  readonly root: string;
  private readonly files = new Map<string, FoundFile | null>();
  private readonly dirs = new Map<string, boolean>();
  private readonly resolved = new Map<string, ResolvedInRoot | null>();
  private readonly elves = new Map<string, ElfInfo | Error>();

  constructor(root: string) {
    this.root = root;
  }

  /** The regular file at `path` (absolute, normal, inside the root), or undefined when there is none. */
  file(path: string): FoundFile | undefined {
    let found = this.files.get(path);
    if (found === undefined) {
      found = this.lookFile(path) ?? null;
      this.files.set(path, found);
    }
    return found ?? undefined;
  }

  /** True when `path` is a directory inside the root. */
  isDir(path: string): boolean {
    let known = this.dirs.get(path);
    if (known === undefined) {
      known = this.stat(path)?.isDirectory() ?? false;
      this.dirs.set(path, known);
    }
    return known;
  }

  /**
   * `path` resolved inside the root, with every symlink crossed. Directories are resolved once and
   * shared: only a final component that is itself a symlink needs a walk of its own.
   */
  resolve(path: string, hops = 0): ResolvedInRoot | undefined {
    let resolved = this.resolved.get(path);
    if (resolved === undefined) {
      resolved = this.resolveUncached(path, hops);
      this.resolved.set(path, resolved);
    }
    return resolved ?? undefined;
  }

  /** The parsed ELF of `file` (found at `path`); a parse error is remembered and thrown again. */
  elf(file: FoundFile, path: string): ElfInfo {
    let info = this.elves.get(file.id);
    if (info === undefined) {
      try {
        info = readElfFile(file.host, path, file.size);
      } catch (error) {
        info = error instanceof Error ? error : new Error(String(error));
      }
      this.elves.set(file.id, info);
    }
    if (info instanceof Error) throw info;
    return info;
  }

  private resolveUncached(path: string, hops: number): ResolvedInRoot | null {
    const slash = path.lastIndexOf('/');
    const name = path.slice(slash + 1);
    if (slash < 0 || name === '' || name === '.' || name === '..' || path === '/') return resolveOrNull(this.root, path);
    const parent = this.resolve(slash === 0 ? '/' : path.slice(0, slash), hops);
    if (!parent?.stats.isDirectory()) return null;
    const real = parent.real === '/' ? `/${name}` : `${parent.real}/${name}`;
    const stats = lstatOrUndefined(hostPath(this.root, real));
    if (!stats) return null;
    if (stats.isSymbolicLink()) return this.followLink(path, parent, real, hops);
    return { requested: path, real, links: parent.links, stats };
  }

  /**
   * A final symlink at `at` (physical, inside the parent directory): its target is resolved from that
   * directory, or from the root when absolute, as the kernel does; after MAX_SYMLINK_HOPS the full
   * walk decides (it reports the loop).
   */
  private followLink(path: string, parent: ResolvedInRoot, at: string, hops: number): ResolvedInRoot | null {
    if (hops >= MAX_SYMLINK_HOPS) return resolveOrNull(this.root, path);
    let target: string;
    try {
      target = readlinkSync(hostPath(this.root, at));
    } catch (error) {
      if (isLookupFailure(error) || errnoCode(error) === 'EINVAL') return null;
      throw error;
    }
    const next = target.startsWith('/') ? target : `${parent.real === '/' ? '' : parent.real}/${target}`;
    const resolved = this.resolve(next, hops + 1);
    if (!resolved) return null;
    const links = [...parent.links, { path: at, target }, ...resolved.links];
    // One lookup crosses at most MAX_SYMLINK_HOPS links, however much of it was cached.
    if (links.length > MAX_SYMLINK_HOPS) return null;
    return { requested: path, real: resolved.real, links, stats: resolved.stats };
  }

  private lookFile(path: string): FoundFile | undefined {
    const stats = this.stat(path);
    if (!stats?.isFile()) return undefined;
    const host = hostPath(this.root, (this.resolve(path) as ResolvedInRoot).real);
    return { host, id: `${stats.dev}:${stats.ino}`, size: stats.size, mode: stats.mode & 0o7777 };
  }

  /** stat() of `path` inside the root: the lstat of the resolved path, so most lookups cost one lstat. */
  private stat(path: string): Stats | undefined {
    const resolved = this.resolve(path);
    return resolved && !resolved.stats.isSymbolicLink() ? resolved.stats : undefined;
  }
}

/** Like the loader's open(): a symlink loop or an unreadable directory means "not here". */
function resolveOrNull(root: string, path: string): ResolvedInRoot | null {
  try {
    return resolveInRoot(root, path) ?? null;
  } catch (error) {
    if (isMkjailError(error) || isLookupFailure(error)) return null;
    throw error;
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (error) {
    if (isLookupFailure(error)) return undefined;
    throw error;
  }
}

function isLookupFailure(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'EACCES' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENAMETOOLONG' || code === 'ENOENT';
}

// What a jail's file system must keep: Unix owners (root's, and the service's on its writable paths),
// modes and symlinks. FAT (vfat, or a FUSE driver of it), exFAT, or NTFS without a permission mapping
// keep none of them: chown and chmod fail (EPERM, ENOSYS) or are quietly ignored. Probed on a scratch
// file where DIR is or will be, before anything is staged, so such a file system ends the build in one
// line (exit 3) naming it, instead of a stack trace and a half-made DIR.
import { chmodSync, lchownSync, lstatSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT, MkjailError, errnoWords } from '../errors.js';
import type { Manifest } from '../plan/manifest.js';
import { holdingMount } from './mount-options.js';
import { STAGING_PREFIX } from './output-dir.js';
import { existingParent } from './room.js';

/** Where a jail tree can go instead. */
export const TREE_FIX = 'build on a file system that keeps Unix owners, modes and symlinks (ext4, xfs, btrfs, tmpfs; not FAT, exFAT or NTFS), or write the jail as a tar with --tar FILE and keep --out on such a file system';
/** Where the scripts of a --tar build can go instead. */
export const SCRIPTS_FIX = 'keep --out, which holds the manifest and scripts, on a file system that keeps Unix modes (ext4, xfs, btrfs, tmpfs; not FAT, exFAT or NTFS); the tar itself may go on any file system';

/** What the probe tries: giving a file to `owner` (only root can), a mode, and (with `symlinks`) a symlink. */
export interface FileSystemNeeds {
  owner: { uid: number; gid: number } | undefined;
  symlinks: boolean;
}

/** What a jail tree of `manifest` needs: its first owner other than root:root, modes, and symlinks if it has any. */
export function treeNeeds(manifest: Manifest): FileSystemNeeds {
  const owned = manifest.entries.find((e) => e.uid !== 0 || e.gid !== 0);
  return {
    owner: owned ? { uid: owned.uid, gid: owned.gid } : undefined,
    symlinks: manifest.entries.some((e) => e.type === 'symlink'),
  };
}

/**
 * Refuses (exit 3) to build `what` at `dir` when the file system that holds (or would hold) `dir` can't
 * keep what `needs` says. When not even the probe file can be created there, says nothing: the write
 * itself then reports why (read-only, full, permission denied).
 */
export function checkFileSystemKeeps(what: string, dir: string, needs: FileSystemNeeds, mounts: string, fix: string): void {
  const at = existingParent(dir);
  const missing = probe(at, needs);
  if (missing === undefined) return;
  const mount = holdingMount(at, mounts);
  const fileSystem = mount ? `the ${mount.type} file system mounted at ${mount.point}` : 'its file system';
  throw new MkjailError(`Can't build ${what}: ${fileSystem} can't keep ${missing}`, {
    exitCode: EXIT.environment,
    hint: `${fix}; nothing was written`,
  });
}

/** What the file system at `dir` fails to keep (words for the message), or undefined when it keeps all of `needs`. */
function probe(dir: string, needs: FileSystemNeeds): string | undefined {
  // A staging name: a build killed mid-probe leaves it for the next build's leftover cleanup.
  const file = join(dir, `${STAGING_PREFIX}probe-${process.pid}`);
  const link = `${file}-link`;
  try {
    writeFileSync(file, '', { mode: 0o600, flag: 'wx' });
  } catch {
    return undefined;
  }
  try {
    return ownerProblem(file, needs.owner) ?? modeProblem(file) ?? (needs.symlinks ? symlinkProblem(link) : undefined);
  } finally {
    rmSync(file, { force: true });
    rmSync(link, { force: true });
  }
}

function ownerProblem(file: string, owner: FileSystemNeeds['owner']): string | undefined {
  if (owner === undefined) return undefined;
  const ids = `${owner.uid}:${owner.gid}`;
  try {
    lchownSync(file, owner.uid, owner.gid);
  } catch (error) {
    return `file owners (chown to ${ids}: ${errnoWords(error)})`;
  }
  const stats = lstatSync(file);
  return stats.uid === owner.uid && stats.gid === owner.gid ? undefined : `file owners (chown to ${ids} left the file owned by ${stats.uid}:${stats.gid})`;
}

function modeProblem(file: string): string | undefined {
  try {
    chmodSync(file, 0o640);
  } catch (error) {
    return `file modes (chmod 0640: ${errnoWords(error)})`;
  }
  const mode = lstatSync(file).mode & 0o7777;
  return mode === 0o640 ? undefined : `file modes (chmod 0640 left mode ${mode.toString(8).padStart(4, '0')})`;
}

function symlinkProblem(link: string): string | undefined {
  try {
    symlinkSync('target', link);
  } catch (error) {
    return `symbolic links (symlink: ${errnoWords(error)})`;
  }
  return lstatSync(link).isSymbolicLink() ? undefined : 'symbolic links (symlink made something else)';
}

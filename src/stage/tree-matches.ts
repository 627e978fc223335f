// Whether a jail tree is exactly what a manifest describes (type, owner, mode, size, content, target,
// device numbers, and nothing extra outside writable directories). Used to skip a rebuild that would
// change nothing; `mkjail verify` gives the detailed report.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { EXIT, MkjailError, errnoCode } from '../errors.js';
import { hostPath } from '../fs/path-in-root.js';
import type { Manifest, ManifestEntry } from '../plan/manifest.js';
import { deviceMajor, deviceMinor } from './device-numbers.js';

export function treeMatches(root: string, manifest: Manifest): boolean {
  try {
    return compareTree(root, manifest);
  } catch (error) {
    if (errnoCode(error) !== 'EACCES' && errnoCode(error) !== 'EPERM') throw error;
    const path = (error as { path?: string }).path ?? root;
    throw new MkjailError(`Can't read jail at ${root}: permission denied at ${path}`, {
      exitCode: EXIT.environment,
      hint: 'run as root: /dev (0111) and the writable paths are not readable by other users',
    });
  }
}

function compareTree(root: string, manifest: Manifest): boolean {
  const planned = new Set(manifest.entries.map((e) => e.path));
  const writable = new Set(manifest.writable.map((w) => w.path));
  for (const entry of manifest.entries) {
    const stats = lstatOrUndefined(hostPath(root, entry.path));
    if (!stats || !entryMatches(root, entry, stats)) return false;
    if (entry.type === 'dir' && !writable.has(entry.path)) {
      for (const name of readdirSync(hostPath(root, entry.path))) {
        if (!planned.has(posix.join(entry.path, name))) return false;
      }
    }
  }
  return true;
}

function entryMatches(root: string, entry: ManifestEntry, stats: Stats): boolean {
  const path = hostPath(root, entry.path);
  if (stats.uid !== entry.uid || stats.gid !== entry.gid) return false;
  const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
  switch (entry.type) {
    case 'dir':
      return stats.isDirectory() && mode === entry.mode;
    case 'file':
      return stats.isFile() && mode === entry.mode && stats.size === entry.size && stats.nlink === 1 && sha256(path) === entry.sha256;
    case 'symlink':
      return stats.isSymbolicLink() && readlinkSync(path) === entry.target;
    case 'chardev':
      return stats.isCharacterDevice() && mode === entry.mode && deviceMajor(stats.rdev) === entry.major && deviceMinor(stats.rdev) === entry.minor;
    default: {
      const never: never = entry;
      return never;
    }
  }
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

// Writes a planned jail into a fresh staging directory: creates every entry (private while staged), carries
// the service's data over from the previous jail, then sets each entry's owner and mode from the plan.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { type Stats, chmodSync, lchownSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { EXIT, MkjailError, commandWords, errnoCode } from '../errors.js';
import { hostPath } from '../fs/path-in-root.js';
import type { ManifestEntry } from '../plan/manifest.js';
import type { Plan } from '../plan/build-plan.js';
import type { Content } from '../plan/plan-builder.js';
import { readHostFile } from '../plan/plan-host-path.js';
import { copyServiceData } from './copy-service-data.js';

/** Creates the whole tree of `plan` at `stagingRoot` (which must not exist yet). */
export function writeTree(plan: Plan, stagingRoot: string, previousRoot: string | undefined): void {
  mkdirSync(stagingRoot, { mode: 0o700 });
  for (const entry of plan.manifest.entries) createEntry(stagingRoot, entry, plan.contents.get(entry.path));
  if (previousRoot) carryOver(plan, stagingRoot, previousRoot);
  const realDirectories = new Map<string, boolean>();
  for (const entry of [...plan.manifest.entries].reverse()) setOwnerAndMode(stagingRoot, entry, realDirectories);
}

function createEntry(root: string, entry: ManifestEntry, content: Content | undefined): void {
  const path = hostPath(root, entry.path);
  switch (entry.type) {
    case 'dir':
      if (entry.path !== '/') mkdirSync(path, { mode: 0o700 });
      return;
    case 'file':
      writeFileSync(path, fileBytes(entry.path, entry.sha256, content), { mode: 0o600, flag: 'wx' });
      return;
    case 'symlink':
      symlinkSync(entry.target, path);
      return;
    case 'chardev':
      makeCharDevice(path, entry.major, entry.minor);
      return;
    default: {
      const never: never = entry;
      return never;
    }
  }
}

/**
 * The bytes of a file entry, checked against the sha256 the plan recorded: hashed again, unless they
 * were read from a host file with the very stable stamp whose bytes the plan hashed.
 */
export function fileBytes(path: string, sha256: string, content: Content | undefined): Buffer {
  if (!content) throw new Error(`no content planned for ${path}`);
  if (content.kind === 'bytes') return checked(path, sha256, content, content.data);
  const { data, stamp } = readHostFile(content);
  if (content.stamp !== undefined && stamp === content.stamp) return data;
  return checked(path, sha256, content, data);
}

function checked(path: string, sha256: string, content: Content, data: Buffer): Buffer {
  if (createHash('sha256').update(data).digest('hex') !== sha256) {
    const from = content.kind === 'host' ? content.path : path;
    throw new MkjailError(`Can't copy host file at ${from}: it changed while the jail was being built`, {
      exitCode: EXIT.environment,
      hint: 'build again once the host is quiet (a package upgrade may be running)',
    });
  }
  return data;
}

function makeCharDevice(path: string, major: number, minor: number): void {
  try {
    execFileSync('mknod', ['-m', '0600', path, 'c', String(major), String(minor)], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new MkjailError(`Can't create device at ${path}: mknod failed (${commandWords(error)})`, {
      exitCode: EXIT.environment,
      hint: 'build as root on a file system that allows device nodes (not mounted nodev), or use --tar',
    });
  }
}

/**
 * Copies what the service wrote in each writable directory of the previous jail (owners, modes without
 * setuid/setgid, times kept; never through a symlink). A writable directory inside another one is
 * copied with it.
 */
function carryOver(plan: Plan, stagingRoot: string, previousRoot: string): void {
  const directories = plan.manifest.writable
    .map(({ path }) => path)
    .filter((path) => plan.manifest.entries.find((e) => e.path === path)?.type === 'dir');
  const fifoScratch = `${stagingRoot}-fifo`;
  for (const path of directories) {
    if (directories.some((other) => path.startsWith(`${other}/`))) continue;
    copyServiceData(previousRoot, path, hostPath(stagingRoot, path), fifoScratch);
  }
}

/**
 * Sets the planned owner and mode of an entry, unless the service's data took its place (another type,
 * or below a path that is no longer a real directory): nothing is ever changed through a symlink.
 */
function setOwnerAndMode(root: string, entry: ManifestEntry, realDirectories: Map<string, boolean>): void {
  if (!parentsAreRealDirectories(root, entry.path, realDirectories)) return;
  const path = hostPath(root, entry.path);
  if (entry.path !== '/' && typeOf(path) !== entry.type) return;
  lchownSync(path, entry.uid, entry.gid);
  if (entry.type !== 'symlink') chmodSync(path, Number.parseInt(entry.mode, 8));
}

function parentsAreRealDirectories(root: string, path: string, known: Map<string, boolean>): boolean {
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const parent = `/${parts.slice(0, i).join('/')}`;
    if (!known.has(parent)) known.set(parent, typeOf(hostPath(root, parent)) === 'dir');
    if (!known.get(parent)) return false;
  }
  return true;
}

function typeOf(path: string): ManifestEntry['type'] | 'other' | undefined {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
  if (stats.isDirectory()) return 'dir';
  if (stats.isFile()) return 'file';
  if (stats.isSymbolicLink()) return 'symlink';
  return stats.isCharacterDevice() ? 'chardev' : 'other';
}

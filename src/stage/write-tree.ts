// Writes a planned jail into a fresh staging directory: creates every entry (private while staged), carries
// the service's data over from the previous jail, then sets each entry's owner and mode from the plan.
import { execFileSync } from 'node:child_process';
import { type Hash, createHash } from 'node:crypto';
import { type Stats, chmodSync, closeSync, lchownSync, lstatSync, mkdirSync, openSync, readSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { EXIT, MkjailError, commandWords, errnoCode } from '../errors.js';
import { hostPath } from '../fs/path-in-root.js';
import type { ManifestEntry } from '../plan/manifest.js';
import type { Plan } from '../plan/build-plan.js';
import type { Content, HostContent } from '../plan/plan-builder.js';
import { readHostChunks, readHostFile, stampStillHolds } from '../plan/host-read.js';
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
      if (content?.kind === 'host') copyHostFile(path, entry.sha256, content);
      else writeFileSync(path, fileBytes(entry.path, entry.sha256, content), { mode: 0o600, flag: 'wx' });
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
  if (createHash('sha256').update(data).digest('hex') !== sha256) throw changedWhileBuilding(content.kind === 'host' ? content.path : path);
  return data;
}

function changedWhileBuilding(from: string): MkjailError {
  return new MkjailError(`Can't copy host file at ${from}: it changed while the jail was being built`, {
    exitCode: EXIT.environment,
    hint: 'build again once the host is quiet (a package upgrade may be running)',
  });
}

/**
 * Copies a host file into the staged tree at `path` a chunk at a time (nothing held in memory), with the
 * same proof as fileBytes: the bytes are hashed on the way unless the file still has the very stable
 * stamp whose bytes the plan hashed, before and after the copy. A stamp that changed during the copy
 * has the staged copy hashed instead.
 */
export function copyHostFile(path: string, sha256: string, content: HostContent): void {
  const fd = openSync(path, 'wx+', 0o600);
  try {
    let hash: Hash | undefined;
    const stamp = readHostChunks(
      content,
      (chunk) => {
        hash?.update(chunk);
        writeAll(fd, chunk);
      },
      (stats) => {
        if (!stampStillHolds(content, stats)) hash = createHash('sha256');
      },
    );
    if (hash === undefined && stamp !== undefined && stamp === content.stamp) return;
    const digest = hash ?? stagedHash(fd);
    if (digest.digest('hex') !== sha256) throw changedWhileBuilding(content.path);
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, chunk: Buffer): void {
  for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written, chunk.length - written);
}

/** A hash of what was written to `fd`, read back from its start. */
function stagedHash(fd: number): Hash {
  const hash = createHash('sha256');
  let offset = 0;
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (;;) {
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    if (read === 0) return hash;
    hash.update(buffer.subarray(0, read));
    offset += read;
  }
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

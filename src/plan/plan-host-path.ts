// Brings host paths into the plan at the same path (or a chosen one): files with their sha256, whole
// directories, and symlinks kept as symlinks with their targets brought in too.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { EXIT, MkjailError, errnoCode } from '../errors.js';
import { readFileBelow } from '../fs/open-below.js';
import { resolveInRoot } from '../fs/path-in-root.js';
import { whyOthersCanChangeDirectory } from '../fs/host-trust.js';
import { hostGroupIdsOf } from './host-accounts.js';
import type { Identity, Reason } from './manifest.js';
import type { HostContent, PlanBuilder } from './plan-builder.js';
import { DIR_MODE, ROOT_GID, ROOT_UID, SYMLINK_MODE, copiedFileMode, serviceGroupMode } from './policy.js';

/**
 * Adds host `path` at the same path in the jail: every symlink on the way is kept as the host has it,
 * a final symlink is kept and its target brought in, a directory is copied whole. Returns false when
 * the path does not exist on the host.
 */
export function planHostPath(plan: PlanBuilder, path: string, reasons: Reason[], seen = new Set<string>()): boolean {
  const resolved = resolveInRoot('/', path, { followFinal: false });
  if (!resolved) return false;
  for (const link of resolved.links) {
    refuseSymlinkOthersCanChange(link.path);
    plan.add(symlinkEntry(link.path, link.target, reasons));
    seen.add(link.path);
  }
  planResolved(plan, resolved.real, resolved.stats, reasons, seen);
  return true;
}

function planResolved(plan: PlanBuilder, real: string, stats: Stats, reasons: Reason[], seen: Set<string>): void {
  if (seen.has(real)) return;
  seen.add(real);
  if (stats.isSymbolicLink()) {
    refuseSymlinkOthersCanChange(real);
    const target = readlinkSync(real);
    plan.add(symlinkEntry(real, target, reasons));
    const targetPath = posix.resolve(posix.dirname(real), target);
    if (targetPath === '/') {
      throw new MkjailError(`Can't copy symlink at ${real}: it points at the root directory (${target})`, {
        hint: 'name the files it leads to instead (bringing in its target would copy the whole host)',
      });
    }
    if (!planHostPath(plan, targetPath, [{ kind: 'symlink-target', of: real }], seen)) {
      throw new MkjailError(`Can't copy symlink at ${real}: its target ${target} does not exist on the host`, {
        hint: 'fix or remove the dangling symlink, or name its target instead',
      });
    }
    return;
  }
  if (stats.isDirectory()) {
    plan.add({ type: 'dir', path: real, mode: DIR_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [...reasons] });
    for (const name of readdirSync(real).sort()) {
      planHostPath(plan, posix.join(real, name), reasons, seen);
    }
    return;
  }
  planHostFile(plan, real, real, stats, reasons);
}

/**
 * Adds the regular host file `from` at jail path `to`, root-owned, with its sha256: 0444 or 0555, or
 * 0400 or 0500 when others can't read it on the host (see `letServiceReadPrivateFiles`).
 */
export function planHostFile(plan: PlanBuilder, from: string, to: string, stats: Stats, reasons: Reason[]): void {
  if (!stats.isFile()) {
    throw new MkjailError(`Can't copy ${from} into the jail: it is ${kindOf(stats)}, not a file, directory or symlink`, {
      hint: 'jails hold only files, directories and symlinks (devices come from the recipe\'s devices)',
    });
  }
  const content: HostContent = { kind: 'host', path: from, dev: stats.dev, ino: stats.ino, uid: stats.uid, gid: stats.gid };
  const { size, sha256, stamp } = hostFileDigest(content, stats);
  if (stamp !== undefined) content.stamp = stamp;
  const entry = { type: 'file' as const, path: to, mode: copiedFileMode(stats.mode), uid: ROOT_UID, gid: ROOT_GID, size, sha256, source: from, reasons: [...reasons] };
  plan.add(entry, content);
}

interface HostDigest {
  size: number;
  sha256: string;
  /** The stamp of the file these bytes came from, when it is stable (see `stableStamp`). */
  stamp: string | undefined;
}

/**
 * What each host file hashed to, by host path, for this process: a file brought in by many binaries
 * (libc) or many jails is read and hashed once, as long as its stamp stays the same.
 */
const digests = new Map<string, HostDigest>();

function hostFileDigest(content: HostContent, stats: Stats): HostDigest {
  const known = digests.get(content.path);
  if (known?.stamp !== undefined && known.stamp === stampOf(stats)) return known;
  const { data, stamp } = readHostFile(content);
  const digest = { size: data.length, sha256: createHash('sha256').update(data).digest('hex'), stamp };
  if (stamp !== undefined) digests.set(content.path, digest);
  return digest;
}

/** Device, inode, size, modification and change times: what any change of a file's bytes changes. */
function stampOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/**
 * How long a file must have been left alone before its stamp stands for its bytes. The kernel's file
 * times advance in coarse ticks: a write in the very tick a file was read could leave its times as
 * they were (git's "racy" files). A file unchanged for a second before the read is safe from that; a
 * younger one has no stamp, and is hashed again wherever its bytes are used.
 */
const STABLE_MS = 1000;

/**
 * Lets the service's group read the copied host files planned for root alone (others can't read them
 * on the host): 0440 or 0550, root:<service gid>, but only a file the service can read on the host
 * already (its uid is the service's, or its group one of the service's groups). Any other stays for
 * root alone, with a warning: a config may name any host file (/etc/shadow as a zone file).
 */
export function letServiceReadPrivateFiles(plan: PlanBuilder, identity: Identity): void {
  const groups = new Set([identity.gid, ...hostGroupIdsOf(identity.user)]);
  for (const entry of plan.sorted()) {
    const content = plan.contents.get(entry.path);
    if (entry.type !== 'file' || content?.kind !== 'host') continue;
    if (entry.uid !== ROOT_UID || entry.gid !== ROOT_GID) continue;
    const mode = serviceGroupMode(entry.mode);
    if (!mode) continue;
    if (content.uid === identity.uid || groups.has(content.gid)) plan.replace({ ...entry, mode, gid: identity.gid });
    else plan.warnings.push(privateFileWarning(content.path, entry.reasons, identity));
  }
}

function privateFileWarning(path: string, reasons: Reason[], identity: Identity): string {
  return `host file ${path} (${reasons.map(describeReason).join('; ')}) is private on the host and the service user ${identity.user} can't read it there: the jail keeps it for root alone (0400 or 0500 root:root); if the service needs it, give it to the service on the host (chgrp ${identity.group})`;
}

function describeReason(reason: Reason): string {
  switch (reason.kind) {
    case 'recipe':
      return `recipe field ${reason.field}`;
    case 'config':
      return `${reason.what} in ${reason.by}`;
    case 'symlink-target':
      return `target of the symlink ${reason.of}`;
    default:
      return reason.kind;
  }
}

/** Adds host `from` (symlinks followed) at jail path `to`: a file, or a directory copied whole. */
export function planCopyFollowingLinks(plan: PlanBuilder, from: string, to: string, reasons: Reason[]): void {
  const resolved = resolveInRoot('/', from);
  if (!resolved) throw new MkjailError(`Can't copy ${from} into the jail: it does not exist on the host`, { hint: 'create it, or fix the path' });
  for (const link of resolved.links) refuseSymlinkOthersCanChange(link.path);
  if (!resolved.stats.isDirectory()) {
    planHostFile(plan, resolved.real, to, resolved.stats, reasons);
    return;
  }
  plan.add({ type: 'dir', path: to, mode: DIR_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [...reasons] });
  for (const name of readdirSync(resolved.real).sort()) planCopyFollowingLinks(plan, posix.join(resolved.real, name), posix.join(to, name), reasons);
}

/**
 * Refuses the host symlink at `path` when a user other than root can change its directory: they could
 * point it at any host file (/etc/gshadow) for the next build, run by root, to copy into the jail.
 */
export function refuseSymlinkOthersCanChange(path: string): void {
  const dir = posix.dirname(path);
  const why = whyOthersCanChangeDirectory(statSync(dir));
  if (!why) return;
  throw new MkjailError(`Can't copy symlink at ${path}: its directory ${dir} ${why}, so a user other than root can point it at any host file`, {
    hint: `name the real file, or let only root write ${dir}`,
  });
}

/**
 * The bytes of a planned host file (see `readHostContent`), and the file's stamp when it is stable: the
 * same before and after the read, and last changed at least STABLE_MS before it.
 */
export function readHostFile(content: HostContent): { data: Buffer; stamp: string | undefined } {
  const started = Date.now();
  let before: Stats | undefined;
  const data = readHostContent(content, (stats) => {
    before = stats;
  });
  if (!before || Math.max(before.ctimeMs, before.mtimeMs) > started - STABLE_MS) return { data, stamp: undefined };
  const stamp = stampOf(before);
  const after = lstatOrUndefined(content.path);
  return { data, stamp: after && stampOf(after) === stamp ? stamp : undefined };
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The bytes of a planned host file, the one place host files are read: every component opened without
 * following a symlink, and the file must be the very one the plan saw (same device and inode).
 */
export function readHostContent(content: HostContent, opened?: (stats: Stats) => void): Buffer {
  const changed = () =>
    new MkjailError(`Can't copy host file at ${content.path}: it changed while the jail was being built`, {
      exitCode: EXIT.environment,
      hint: 'build again once the host is quiet (a package upgrade may be running)',
    });
  let data: Buffer | undefined;
  try {
    data = readFileBelow('/', content.path, (stats) => {
      if (stats.dev !== content.dev || stats.ino !== content.ino) throw changed();
      opened?.(stats);
    });
  } catch (error) {
    if (error instanceof MkjailError) throw error;
    const code = errnoCode(error);
    throw new MkjailError(`Can't read host file at ${content.path}: ${code ?? String(error)}`, {
      exitCode: code === 'EACCES' || code === 'EPERM' ? EXIT.environment : EXIT.badInput,
      hint: 'run as a user that can read it (root), or leave it out of the recipe',
    });
  }
  if (!data) throw changed();
  return data;
}

function symlinkEntry(path: string, target: string, reasons: Reason[]) {
  return { type: 'symlink' as const, path, target, mode: SYMLINK_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [...reasons] };
}

function kindOf(stats: Stats): string {
  if (stats.isSocket()) return 'a socket';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device node';
  return 'not a regular file';
}


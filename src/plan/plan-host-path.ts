// Brings host paths into the plan at the same path (or a chosen one): files with their sha256, whole
// directories, and symlinks kept as symlinks with their targets brought in too.
import { lstatSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { MkjailError } from '../errors.js';
import { resolveInRoot } from '../fs/path-in-root.js';
import { whyOthersCanChangeDirectory } from '../fs/host-trust.js';
import { type AccountLookup, hostAccounts } from './host-accounts.js';
import type { Identity, Reason } from './manifest.js';
import { type HostContent, PENDING_SHA256, type PlanBuilder } from './plan-builder.js';
import { DIR_MODE, ROOT_GID, ROOT_UID, SYMLINK_MODE, copiedFileMode, serviceGroupMode } from './policy.js';

/** A host tree copied into the jail: `host` (no symlink on its way) lands at `jail`; the same path for a plain path. */
export interface CopiedTree {
  host: string;
  jail: string;
}

/** Makes the error for a refused symlink: a recipe error naming the field when the recipe asked for the copy. */
export type Refuse = (what: string, hint: string) => Error;

const refuseWithoutField: Refuse = (what, hint) => new MkjailError(`Can't copy ${what}`, { hint });

/** Kernel file systems: their files are made by the kernel at run time, so no symlink may lead into them. */
const KERNEL_TREES = ['/proc', '/sys', '/dev'] as const;

/**
 * Adds host `path` at the same path in the jail: every symlink on the way is kept as the host has it,
 * a final symlink is kept and its target brought in, a directory is copied whole (see `planSymlink`
 * for the symlinks inside). Returns false when the path does not exist on the host.
 */
export function planHostPath(plan: PlanBuilder, path: string, reasons: Reason[], seen = new Set<string>(), refuse: Refuse = refuseWithoutField): boolean {
  const resolved = resolveInRoot('/', path, { followFinal: false });
  if (!resolved) return false;
  for (const link of resolved.links) {
    refuseSymlinkOthersCanChange(link.path);
    plan.add(symlinkEntry(link.path, link.target, reasons));
    seen.add(link.path);
  }
  const tree = { host: resolved.real, jail: resolved.real };
  planTree(plan, tree, tree, resolved.stats, reasons, { seen, refuse });
  return true;
}

/**
 * Adds host `from` at jail path `to`: a file, or a directory copied whole. `from` itself is resolved
 * (it names what to copy); below it, the one symlink rule of `planSymlink`.
 */
export function planHostCopy(plan: PlanBuilder, from: string, to: string, reasons: Reason[], refuse: Refuse = refuseWithoutField): void {
  const resolved = resolveInRoot('/', from);
  if (!resolved) throw new MkjailError(`Can't copy ${from} into the jail: it does not exist on the host`, { hint: 'create it, or fix the path' });
  for (const link of resolved.links) refuseSymlinkOthersCanChange(link.path);
  if (!resolved.stats.isDirectory()) {
    planHostFile(plan, resolved.real, to, resolved.stats, reasons);
    return;
  }
  const tree = { host: resolved.real, jail: to };
  planTree(plan, tree, tree, resolved.stats, reasons, { seen: new Set(), refuse });
}

interface Walk {
  seen: Set<string>;
  refuse: Refuse;
}

/** Plans `at` (a place in the copied `tree`, with its lstat): a symlink, a directory and what it holds, or a file. */
function planTree(plan: PlanBuilder, tree: CopiedTree, at: CopiedTree, stats: Stats, reasons: Reason[], walk: Walk): void {
  // Host paths planned at their own path are planned once (a target reached twice, a symlink loop).
  if (at.host === at.jail) {
    const planned = walk.seen.has(at.host) ? plan.get(at.host) : undefined;
    if (planned) return plan.addReasons(planned, reasons);
    walk.seen.add(at.host);
  }
  if (stats.isSymbolicLink()) {
    planSymlink(plan, tree, at, reasons, walk);
    return;
  }
  if (!stats.isDirectory()) {
    planHostFile(plan, at.host, at.jail, stats, reasons);
    return;
  }
  plan.add({ type: 'dir', path: at.jail, mode: DIR_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [...reasons] });
  for (const name of readdirSync(at.host).sort()) {
    const child = { host: posix.join(at.host, name), jail: posix.join(at.jail, name) };
    planTree(plan, tree, child, lstatSync(child.host), reasons, walk);
  }
}

/**
 * The one symlink rule of every copy (plain paths and `{ from, to }` alike): the symlink is kept as a
 * symlink with the host's target text; a target inside the copied tree comes with the tree; a target
 * outside it is brought in at its own path (with its own symlinks). Refused: a target that does not
 * exist, the root directory, a kernel tree (/proc, /sys, /dev), and a relative target that leaves a
 * tree copied to another place (it would name one thing in the jail and another on the host).
 */
function planSymlink(plan: PlanBuilder, tree: CopiedTree, link: CopiedTree, reasons: Reason[], walk: Walk): void {
  refuseSymlinkOthersCanChange(link.host);
  const target = readlinkSync(link.host);
  plan.add(symlinkEntry(link.jail, target, reasons));
  const onHost = posix.resolve(posix.dirname(link.host), target);
  const inJail = posix.resolve(posix.dirname(link.jail), target);
  const named = `symlink at ${link.host} (-> ${target})`;
  if (inJail === '/' || onHost === '/') {
    throw walk.refuse(`${named}: it points at the root directory`, 'name the files it leads to instead (bringing in its target would copy the whole host)');
  }
  const kernelTree = KERNEL_TREES.find((dir) => isWithin(inJail, dir) || isWithin(onHost, dir));
  if (kernelTree) {
    throw walk.refuse(`${named}: it leads into ${kernelTree}, which the kernel fills at run time and no jail can hold`, `leave the symlink out (copy the files beside it), or give the jail a device through devices`);
  }
  if (isWithin(inJail, tree.jail) && isWithin(onHost, tree.host) && posix.relative(tree.jail, inJail) === posix.relative(tree.host, onHost)) {
    if (!resolveInRoot('/', onHost)) throw walk.refuse(`${named}: its target does not exist on the host`, 'fix or remove the dangling symlink, or name its target instead');
    return;
  }
  if (inJail !== onHost) {
    throw walk.refuse(
      `${named}: its target leaves the copied ${tree.host}, so in the jail it would point at ${inJail} while on the host it points at ${onHost}`,
      `make the link absolute, copy ${tree.host} to the same path, or copy what it points at into the tree`,
    );
  }
  if (!planHostPath(plan, onHost, [{ kind: 'symlink-target', of: link.jail }], walk.seen, walk.refuse)) {
    throw walk.refuse(`${named}: its target does not exist on the host`, 'fix or remove the dangling symlink, or name its target instead');
  }
}

/** True when `path` is `dir` or below it. */
function isWithin(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(`${dir}/`);
}

/**
 * Adds the regular host file `from` at jail path `to`, root-owned, with its sha256 (maybe still being
 * hashed: see `PlanBuilder.settleDigests`): 0444 or 0555, or
 * 0400 or 0500 when others can't read it on the host (see `letServiceReadPrivateFiles`).
 */
export function planHostFile(plan: PlanBuilder, from: string, to: string, stats: Stats, reasons: Reason[]): void {
  if (!stats.isFile()) {
    throw new MkjailError(`Can't copy ${from} into the jail: it is ${kindOf(stats)}, not a file, directory or symlink`, {
      hint: 'jails hold only files, directories and symlinks (devices come from the recipe\'s devices)',
    });
  }
  const content: HostContent = { kind: 'host', path: from, dev: stats.dev, ino: stats.ino, uid: stats.uid, gid: stats.gid };
  const digest = plan.digests.lookup(content, stats);
  if (digest?.stamp !== undefined) content.stamp = digest.stamp;
  const { size, sha256 } = digest ?? { size: stats.size, sha256: PENDING_SHA256 };
  const entry = { type: 'file' as const, path: to, mode: copiedFileMode(stats.mode), uid: ROOT_UID, gid: ROOT_GID, size, sha256, source: from, reasons: [...reasons] };
  plan.add(entry, content);
}

/**
 * Lets the service's group read the copied host files planned for root alone (others can't read them
 * on the host): 0440 or 0550, root:<service gid>, but only a file the service can read on the host
 * already (its uid is the service's, or its group one of the service's groups). Any other stays for
 * root alone, with a warning: a config may name any host file (/etc/shadow as a zone file).
 */
export function letServiceReadPrivateFiles(plan: PlanBuilder, identity: Identity, accounts: AccountLookup = hostAccounts()): void {
  const groups = new Set([identity.gid, ...accounts.groupIdsOf(identity.user)]);
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

function symlinkEntry(path: string, target: string, reasons: Reason[]) {
  return { type: 'symlink' as const, path, target, mode: SYMLINK_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [...reasons] };
}

function kindOf(stats: Stats): string {
  if (stats.isSocket()) return 'a socket';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device node';
  return 'not a regular file';
}


// Plans each recipe binary with its whole library closure and interpreter, as glibc's loader finds them;
// every symlink the loader crosses is kept, and each entry says why it is there.
import { posix } from 'node:path';
import type { DlopenPriority } from '../elf/dlopen-note.js';
import { readElfFile } from '../elf/read-elf.js';
import { EXIT, isMkjailError } from '../errors.js';
import { resolveClosure } from '../resolve/library-closure.js';
import { SharedLookups } from '../resolve/root-files.js';
import type { Closure, ClosureObject, NeededEdge } from '../resolve/types.js';
import type { Sourced } from '../recipe/recipe-error.js';
import { forField, reasonField, recipeError } from '../recipe/recipe-error.js';
import type { Reason } from './manifest.js';
import type { PlanBuilder } from './plan-builder.js';
import { hostPathExists, lstatOrUndefined } from '../fs/path-in-root.js';
import { expectToHash } from './host-digests.js';
import { planHostFile, refuseSymlinkOthersCanChange } from './plan-host-path.js';
import { type CacheOnlyLibrary, planLdSoCache } from './plan-ld-so-cache.js';
import { ROOT_GID, ROOT_UID, SYMLINK_MODE } from './policy.js';

/**
 * Programs are resolved as they will run in the jail: its copies carry no setuid or setgid bit (policy.ts),
 * so their loader is not in secure mode there, whatever it is for the host's program (`mkjail deps`).
 */
const AS_IN_JAIL = { root: '/', setIdBits: 'dropped' } as const;

export function planBinaries(plan: PlanBuilder, binaries: Sourced<string>[]): void {
  // Every resolve of every binary shares one set of lookups: libc is read and parsed once per plan.
  const shared = new SharedLookups();
  const linkDirs = new Set<string>();
  expectToHash(binaries.map((binary) => binary.value));
  const cacheOnly = binaries.flatMap((binary) => planBinary(plan, binary, shared, linkDirs));
  planLdSoCache(plan, cacheOnly);
}

/**
 * glibc expands $ORIGIN of a program (not of a library) by reading /proc/self/exe, and a jail has no
 * /proc: a program whose libraries are found only through its $ORIGIN (in its RPATH/RUNPATH, also
 * where its RPATH serves its libraries, or in a DT_NEEDED name) fails to start inside. Decided by
 * resolving it again with the program's origin unknown.
 */
function originWarning(binary: string, closure: Closure, shared: SharedLookups): string | undefined {
  const mayUseOrigin = closure.edges.some((e) => e.via === 'rpath' || e.via === 'runpath' || e.soname.includes('$'));
  if (!mayUseOrigin) return undefined;
  const lost = resolveClosure([binary], { ...AS_IN_JAIL, programOrigin: 'unknown', shared }).missing;
  if (lost.length === 0) return undefined;
  const info = readElfFile(binary);
  const paths = [info.rpath, info.runpath].filter((p): p is string => p !== undefined && p.includes('$'));
  const where = paths.length > 0 ? `in its ${info.runpath ? 'RUNPATH' : 'RPATH'} (${paths.join(':')})` : `in DT_NEEDED (${lost.map((m) => m.soname).join(', ')})`;
  return `${binary} finds libraries through $ORIGIN ${where}; the loader expands $ORIGIN of a program from /proc/self/exe, which a jail does not have, so it will not start inside the jail: relink it with an absolute RUNPATH`;
}

/**
 * A jail built without a cache finds libraries only through RPATH/RUNPATH and the default directories:
 * the edges the host's cache answers that a resolve without the cache step does not answer alike.
 */
function cacheOnlyLibraries(binary: string, closure: Closure, shared: SharedLookups): CacheOnlyLibrary[] {
  if (!closure.cacheDecides) return [];
  const cached = closure.edges.filter((e): e is NeededEdge & { path: string } => e.via === 'ld.so.cache' && e.path !== undefined);
  const bare = resolveClosure([binary], { ...AS_IN_JAIL, ldSoCache: 'none', shared });
  const reached = new Set(bare.objects.map((o) => o.path));
  const bareEdges = new Set(bare.edges.map(edgeKey));
  // An object the bare resolve never reached comes through a cache-only library: its need is answered when the bare resolve reached that library anyway.
  const answered = (edge: NeededEdge) => (reached.has(edge.by) ? bareEdges.has(edgeKey(edge)) : reached.has(edge.path ?? ''));
  return cached.filter((edge) => !answered(edge)).map((edge) => ({ edge }));
}

function edgeKey(edge: NeededEdge): string {
  return `${edge.by}\0${edge.soname}\0${edge.path}`;
}

/** Plans one binary; returns the libraries the jail's own ld.so.cache must list for it. */
function planBinary(plan: PlanBuilder, binary: Sourced<string>, shared: SharedLookups, linkDirs: Set<string>): CacheOnlyLibrary[] {
  if (!forField(binary.origin, () => hostPathExists(binary.value))) {
    throw recipeError(binary.origin, `host file ${binary.value} does not exist`, 'install the program on the host, or fix the path');
  }
  const closure = closureOf(binary, shared);
  const [firstMissing] = closure.missing;
  if (firstMissing?.dlopen) {
    const { sonames, feature } = firstMissing.dlopen;
    throw recipeError(
      binary.origin,
      `${sonames.join(' or ')}, a required library in the .note.dlopen of ${firstMissing.neededBy}${feature ? ` (feature '${feature}')` : ''}, is not found on the host`,
      'install the package that provides it (mkjail deps shows the whole closure)',
    );
  }
  if (firstMissing) {
    throw recipeError(
      binary.origin,
      `${firstMissing.soname} needed by ${firstMissing.neededBy} is not found on the host`,
      'install the package that provides it (mkjail deps shows the whole closure)',
    );
  }
  const edgesTo = edgesByPath(closure);
  const field = reasonField(binary.origin);
  for (const object of closure.objects) planObject(plan, object, linkDirs, reasonsFor(object, edgesTo, binary.value, field));
  const warning = originWarning(binary.value, closure, shared);
  if (warning) plan.warnings.push(warning);
  return cacheOnlyLibraries(binary.value, closure, shared);
}

function closureOf(binary: Sourced<string>, shared: SharedLookups): Closure {
  try {
    return resolveClosure([binary.value], { ...AS_IN_JAIL, shared });
  } catch (error) {
    if (isMkjailError(error) && error.exitCode !== EXIT.internal) {
      throw recipeError(binary.origin, error.message, error.hint ?? 'name an ELF program or shared object', error.exitCode);
    }
    throw error;
  }
}

/** The edges of `closure` that found a library, by the library's path. */
function edgesByPath(closure: Closure): Map<string, NeededEdge[]> {
  const byPath = new Map<string, NeededEdge[]>();
  for (const edge of closure.edges) {
    if (edge.path === undefined || edge.via === undefined) continue;
    const edges = byPath.get(edge.path);
    if (edges) edges.push(edge);
    else byPath.set(edge.path, [edge]);
  }
  return byPath;
}

function reasonsFor(object: ClosureObject, edgesTo: Map<string, NeededEdge[]>, binary: string, field: string): Reason[] {
  switch (object.kind) {
    case 'input':
      return [{ kind: 'binary', field }];
    case 'interpreter':
      return [{ kind: 'interpreter', of: binary }];
    case 'library': {
      const edges = edgesTo.get(object.path) ?? [];
      const reasons = edges.map((e): Reason => ({ kind: 'needed', soname: e.soname, by: e.by, via: e.via ?? 'default', ...noted(e) }));
      return reasons.length > 0 ? reasons : [{ kind: 'needed', soname: object.path, by: binary, via: 'default' }];
    }
    default: {
      const never: never = object.kind;
      return never;
    }
  }
}

/** The note's priority and feature, for a library an object dlopen()s. */
function noted(edge: NeededEdge): { dlopen?: { priority: DlopenPriority; feature?: string } } {
  if (!edge.dlopen) return {};
  return { dlopen: { priority: edge.dlopen.priority, ...(edge.dlopen.feature ? { feature: edge.dlopen.feature } : {}) } };
}

/** Plans `object` and the symlinks to it; `linkDirs` holds the directories of symlinks already checked in this plan. */
function planObject(plan: PlanBuilder, object: ClosureObject, linkDirs: Set<string>, reasons: Reason[]): void {
  for (const link of object.links) {
    const planned = plan.get(link.path);
    if (planned?.type === 'symlink' && planned.target === link.target) {
      plan.addReasons(planned, reasons);
      continue;
    }
    const dir = posix.dirname(link.path);
    if (!linkDirs.has(dir)) {
      refuseSymlinkOthersCanChange(link.path);
      linkDirs.add(dir);
    }
    plan.add({ type: 'symlink', path: link.path, target: link.target, mode: SYMLINK_MODE, uid: ROOT_UID, gid: ROOT_GID, reasons: [...reasons] });
  }
  // A file an earlier binary brought in is planned once: later binaries add their reasons.
  const planned = plan.get(object.real);
  if (planned?.type === 'file' && planned.source === object.real) return plan.addReasons(planned, reasons);
  const stats = lstatOrUndefined(object.real);
  if (!stats) throw new Error(`resolveClosure returned ${object.real}, which does not exist`);
  planHostFile(plan, object.real, object.real, stats, reasons);
}

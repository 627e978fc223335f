// Why a path is in a jail, from its manifest alone: each reason of the entry followed back to what
// asked for it (the library that needs it, the program it is the interpreter of, the config file
// that names it) and on to the recipe field, as chains of steps.
import { posix } from 'node:path';
import type { Manifest, ManifestEntry, Reason } from './manifest.js';

export interface WhyStep {
  /** The jail path this step is about. */
  path: string;
  /** Why it is there, in words (`needed by /usr/sbin/named via ld.so.cache`, `recipe field files.0`). */
  because: string;
}

export interface WhyAnswer {
  /** The path as asked, and the entry it names after the jail's own symlinks. */
  asked: string;
  path: string;
  /** One chain per reason of the entry: from the path back to the recipe. */
  chains: WhyStep[][];
}

const MAX_LINKS = 40;
const MAX_CHAIN = 64;

/** The chains for `asked`, or undefined when the jail holds no such path. */
export function whyInJail(manifest: Manifest, asked: string): WhyAnswer | undefined {
  const entries = new Map(manifest.entries.map((entry) => [entry.path, entry]));
  const path = resolveInManifest(entries, asked);
  const entry = path === undefined ? undefined : entries.get(path);
  if (!entry || path === undefined) return undefined;
  return { asked, path, chains: entry.reasons.map((reason) => chainFrom(entries, entry, reason)) };
}

function chainFrom(entries: Map<string, ManifestEntry>, first: ManifestEntry, firstReason: Reason): WhyStep[] {
  const chain: WhyStep[] = [];
  const seen = new Set<string>();
  let entry: ManifestEntry | undefined = first;
  let reason: Reason | undefined = firstReason;
  while (entry && reason && chain.length < MAX_CHAIN) {
    chain.push({ path: entry.path, because: describe(reason, entry.path) });
    seen.add(entry.path);
    const next = requester(reason, entry.path);
    const nextPath = next === undefined ? undefined : resolveInManifest(entries, next);
    if (nextPath === undefined || seen.has(nextPath)) break;
    entry = entries.get(nextPath);
    reason = entry?.reasons[0];
  }
  return chain;
}

/** The path of what put this entry in the jail, when that is itself an entry of the jail. */
function requester(reason: Reason, path: string): string | undefined {
  switch (reason.kind) {
    case 'needed':
      return reason.by;
    case 'interpreter':
    case 'symlink-target':
      return reason.of;
    case 'config':
      return reason.by === path ? undefined : reason.by;
    default:
      return undefined;
  }
}

/** One reason of the entry at `path` in words, ending in the recipe field where the manifest records it. */
export function describe(reason: Reason, path: string): string {
  switch (reason.kind) {
    case 'binary':
      return reason.field ? `recipe field ${reason.field} (a binary)` : 'a binary of the recipe';
    case 'interpreter':
      return `the ELF interpreter of ${reason.of}`;
    case 'needed':
      return `${reason.soname} needed by ${reason.by} via ${reason.via}${reason.dlopen ? ` (its .note.dlopen, ${reason.dlopen.priority}${reason.dlopen.feature ? ` '${reason.dlopen.feature}'` : ''})` : ''}`;
    case 'symlink-target':
      return `the target of the symlink ${reason.of}`;
    case 'recipe':
      return `recipe field ${reason.field}`;
    case 'config':
      return reason.by === path ? `${reason.what} (recipe field configs)` : `${reason.what}, named in ${reason.by}`;
    case 'nss':
      return `NSS: ${reason.service}`;
    case 'parent-dir':
      return 'a parent directory of other entries';
    case 'device':
      return `device: ${reason.why}`;
    case 'writable':
      return `writable: ${reason.why}`;
    case 'identity':
      return `identity: ${reason.why}`;
    default: {
      const never: never = reason;
      return String(never);
    }
  }
}

/**
 * `path` after the jail's own symlinks in its directories (`/lib/x.so` -> `/usr/lib/x.so`), as the
 * manifest records them; the last component is not followed (a symlink entry answers for itself).
 */
export function resolveInManifest(entries: Map<string, ManifestEntry>, path: string): string | undefined {
  let current = posix.normalize(path);
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    if (entries.has(current)) return current;
    const parts = current.split('/').filter(Boolean);
    let rewritten: string | undefined;
    for (let i = 1; i < parts.length; i++) {
      const prefix = `/${parts.slice(0, i).join('/')}`;
      const entry = entries.get(prefix);
      if (entry?.type !== 'symlink') continue;
      const target = entry.target.startsWith('/') ? entry.target : posix.join(posix.dirname(prefix), entry.target);
      rewritten = posix.normalize(`${target}/${parts.slice(i).join('/')}`);
      break;
    }
    if (rewritten === undefined) return undefined;
    current = rewritten;
  }
  return undefined;
}

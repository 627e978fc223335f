// The drift of one manifest entry against what is on disk at its path: type, mode, owner, then content,
// link target or device numbers. Only a regular file is ever opened, and never through a symlink.
import { hashEntry, type ObservedEntry } from '../fs/read-tree.js';
import type { ManifestEntry } from '../plan/manifest.js';
import type { Drift } from './drift.js';

/**
 * How much of an entry is the manifest's to decide: everything; everything but the content (a writable
 * file: the service rewrites it); or only that it exists with its type (below a writable directory, the
 * service's own data: owner, mode and content are the service's, as perms.sh leaves them).
 */
export const COMPARE_SCOPES = ['full', 'no-content', 'presence'] as const;
export type CompareScope = (typeof COMPARE_SCOPES)[number];

export function compareEntry(root: string, entry: ManifestEntry, observed: ObservedEntry | undefined, scope: CompareScope = 'full'): Drift[] {
  const path = entry.path;
  if (!observed) return [{ kind: 'missing', path, expected: entry.type, found: 'nothing' }];
  if (observed.type !== entry.type) return [{ kind: 'type', path, expected: entry.type, found: observed.type }];
  if (scope === 'presence') return [];
  if (scope === 'no-content' && entry.type === 'file') return compareMetadata(entry, observed);
  return [...compareMetadata(entry, observed), ...compact([compareByType(root, entry, observed)])];
}

function compareMetadata(entry: ManifestEntry, observed: ObservedEntry): Drift[] {
  const path = entry.path;
  const drifts: Drift[] = [];
  if (observed.mode !== entry.mode) drifts.push({ kind: 'mode', path, expected: entry.mode, found: observed.mode });
  const owner = `${entry.uid}:${entry.gid}`;
  const foundOwner = `${observed.uid}:${observed.gid}`;
  if (owner !== foundOwner) drifts.push({ kind: 'owner', path, expected: owner, found: foundOwner });
  // The build copies every file (never a hard link): a second name shares its inode, perhaps outside the jail.
  if (entry.type === 'file' && observed.nlink !== 1) drifts.push({ kind: 'links', path, expected: '1 link', found: `${observed.nlink} links` });
  return drifts;
}

function compact(drifts: (Drift | undefined)[]): Drift[] {
  return drifts.filter((d): d is Drift => d !== undefined);
}

function compareByType(root: string, entry: ManifestEntry, observed: ObservedEntry): Drift | undefined {
  const path = entry.path;
  switch (entry.type) {
    case 'dir':
      return undefined;
    case 'file': {
      if (observed.size !== entry.size) {
        return { kind: 'content', path, expected: `${entry.size} bytes`, found: `${observed.size} bytes` };
      }
      const sha256 = hashEntry(root, observed);
      return sha256 === entry.sha256 ? undefined : { kind: 'content', path, expected: `sha256 ${entry.sha256}`, found: `sha256 ${sha256}` };
    }
    case 'symlink':
      return observed.target === entry.target ? undefined : { kind: 'target', path, expected: entry.target, found: observed.target ?? '' };
    case 'chardev': {
      const expected = `${entry.major},${entry.minor}`;
      const found = `${observed.major},${observed.minor}`;
      return expected === found ? undefined : { kind: 'device', path, expected, found };
    }
    default: {
      const unknown: never = entry;
      throw new Error(`unknown manifest entry type: ${JSON.stringify(unknown)}`);
    }
  }
}

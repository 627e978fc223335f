// The drift of one manifest entry against what is on disk at its path: type, mode, owner, then content,
// link target or device numbers. Only a regular file is ever opened, and never through a symlink.
import { hashEntry, type ObservedEntry } from '../fs/read-tree.js';
import type { ManifestEntry } from '../plan/manifest.js';
import type { Drift } from './drift.js';

export function compareEntry(root: string, entry: ManifestEntry, observed: ObservedEntry | undefined): Drift[] {
  const path = entry.path;
  if (!observed) return [{ kind: 'missing', path, expected: entry.type, found: 'nothing' }];
  if (observed.type !== entry.type) return [{ kind: 'type', path, expected: entry.type, found: observed.type }];
  const drifts: Drift[] = [];
  if (observed.mode !== entry.mode) drifts.push({ kind: 'mode', path, expected: entry.mode, found: observed.mode });
  const owner = `${entry.uid}:${entry.gid}`;
  const foundOwner = `${observed.uid}:${observed.gid}`;
  if (owner !== foundOwner) drifts.push({ kind: 'owner', path, expected: owner, found: foundOwner });
  const detail = compareByType(root, entry, observed);
  return detail ? [...drifts, detail] : drifts;
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

// What a build would change in DIR: entries added, removed or changed against the previous manifest, a
// tree that drifted from its manifest, and artifacts to rewrite. An empty list means "nothing to do".
import { posix } from 'node:path';
import type { Manifest, ManifestEntry } from '../plan/manifest.js';
import { serializeManifest } from '../plan/manifest.js';
import type { Artifact } from './artifacts.js';
import { treeMatches } from './tree-matches.js';

export function entryChanges(previous: Manifest | undefined, next: Manifest): string[] {
  const before = new Map((previous?.entries ?? []).map((e) => [e.path, e]));
  const after = new Map(next.entries.map((e) => [e.path, e]));
  const lines: string[] = [];
  for (const [path, entry] of after) {
    const old = before.get(path);
    if (!old) lines.push(`add ${path} (${entry.type})`);
    else if (JSON.stringify(old) !== JSON.stringify(entry)) lines.push(`change ${path} (${differences(old, entry)})`);
  }
  for (const path of before.keys()) if (!after.has(path)) lines.push(`remove ${path}`);
  if (previous && lines.length === 0 && serializeManifest(previous) !== serializeManifest(next)) lines.push('change manifest.json (identity, writable, run or recipe)');
  return lines;
}

/** What must happen to the tree at `root` so that it is exactly what `next` describes. */
export function treeChanges(root: string, exists: boolean, next: Manifest): string[] {
  if (!exists) return [`create ${root}`];
  return treeMatches(root, next) ? [] : [`rebuild ${root}`];
}

export function artifactChanges(changed: Artifact[]): string[] {
  return changed.map((a) => `write ${posix.basename(a.path)}`);
}

function differences(a: ManifestEntry, b: ManifestEntry): string {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const changed = [...keys].filter((k) => JSON.stringify((a as Record<string, unknown>)[k]) !== JSON.stringify((b as Record<string, unknown>)[k]));
  return changed.join(', ');
}

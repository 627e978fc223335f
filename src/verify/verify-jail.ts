// Compares a jail tree with its manifest. (Placeholder.)
import type { Manifest } from '../plan/manifest.js';

export type DriftKind = 'missing' | 'extra' | 'type' | 'content' | 'mode' | 'owner' | 'target' | 'device' | 'load';

/** One difference between the manifest and the tree (or an ELF that can't load inside the jail). */
export interface Drift {
  kind: DriftKind;
  /** Absolute path inside the jail. */
  path: string;
  /** What the manifest says, and what the tree has, in words: "mode 0444", "mode 0644". */
  expected: string;
  found: string;
}

/** Every drift of the tree at `root` against `manifest`, sorted by path. */
export function verifyJail(root: string, manifest: Manifest): Drift[] {
  void root;
  void manifest;
  throw new Error('verifyJail is not implemented yet');
}

// Whether a jail tree is exactly what a manifest describes: `mkjail verify`'s comparison (type, owner,
// mode, links, content, target, device numbers, nothing extra outside writable directories), without
// its load check. Used to skip a rebuild that would change nothing.
import type { Manifest } from '../plan/manifest.js';
import { verifyJail } from '../verify/verify-jail.js';

export function treeMatches(root: string, manifest: Manifest): boolean {
  return verifyJail(root, manifest, { loadCheck: false }).length === 0;
}

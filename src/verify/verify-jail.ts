// Compares a jail tree with its manifest: every missing, extra or changed entry, and every ELF of the
// jail whose interpreter or libraries can't be found inside the jail.
import { readTree, type ObservedEntry } from '../fs/read-tree.js';
import { comparePaths, type Manifest } from '../plan/manifest.js';
import { compareEntry } from './compare-entry.js';
import { checkLoading } from './check-loading.js';
import { DRIFT_KINDS, type Drift } from './drift.js';

export { DRIFT_KINDS, type Drift, type DriftKind } from './drift.js';

export interface VerifyOptions {
  /** Run the static load check on every ELF of the jail. Default true. */
  loadCheck?: boolean;
}

/** Every drift of the tree at `root` against `manifest`, sorted by path (then by kind). */
export function verifyJail(root: string, manifest: Manifest, options: VerifyOptions = {}): Drift[] {
  const observed = readTree(root);
  const byPath = new Map(observed.map((entry) => [entry.path, entry]));
  const expected = new Set(manifest.entries.map((entry) => entry.path));
  const writable = manifest.writable.map((w) => w.path);
  const drifts: Drift[] = [];
  for (const entry of manifest.entries) {
    const scope = isServiceData(entry.path, writable) ? 'presence' : writable.includes(entry.path) ? 'no-content' : 'full';
    drifts.push(...compareEntry(root, entry, byPath.get(entry.path), scope));
  }
  for (const entry of observed) {
    if (!expected.has(entry.path) && !isServiceData(entry.path, writable) && !isSyslogSocket(manifest, entry)) drifts.push(extra(entry));
  }
  if (options.loadCheck ?? true) {
    const files = observed.filter((e) => e.type === 'file' && !isServiceData(e.path, writable));
    drifts.push(...checkLoading(root, files));
  }
  return sortDrifts(drifts);
}

/** True for the socket rsyslog makes in a jail whose manifest declares syslog (present or not, never drift). */
export function isSyslogSocket(manifest: Manifest, entry: { path: string; type: string }): boolean {
  return entry.type === 'socket' && entry.path === manifest.syslog?.socket;
}

/** True when `path` lies below a declared writable directory: the service's own data, never "extra". */
export function isServiceData(path: string, writableDirs: readonly string[]): boolean {
  return writableDirs.some((dir) => path.startsWith(dir === '/' ? '/' : `${dir}/`));
}

function extra(entry: ObservedEntry): Drift {
  return { kind: 'extra', path: entry.path, expected: 'nothing', found: entry.type };
}

function sortDrifts(drifts: Drift[]): Drift[] {
  return drifts.sort(
    (a, b) => comparePaths(a.path, b.path) || DRIFT_KINDS.indexOf(a.kind) - DRIFT_KINDS.indexOf(b.kind),
  );
}

// What every audit rule reads: the jail's entries (lstat only), its manifest if any, and small facts
// derived from them (declared writable paths, "writable by someone other than root").
import { realpathSync } from 'node:fs';
import { modeOf } from '../fs/host-trust.js';
import type { Manifest } from '../plan/manifest.js';
import { outputLayout } from '../plan/output-layout.js';
import { type JailEntry, walkJail } from './walk-jail.js';

export interface JailView {
  /** Host path of the jail root, absolute, as given. */
  root: string;
  /** The same directory with every symlink resolved: what chroot(2) will enter. */
  realRoot: string;
  /** Every entry, sorted by path, the root ("/") first. */
  entries: JailEntry[];
  byPath: ReadonlyMap<string, JailEntry>;
  /** The re-validated manifest, or undefined when auditing without one. */
  manifest: Manifest | undefined;
  /** Paths the manifest declares writable by the service (empty without a manifest). */
  writable: readonly string[];
  /** Host paths of the files root trusts from outside the jail: the manifest, and DIR's launcher, perms.sh and unit. */
  artifacts: readonly string[];
}

export interface JailSources {
  manifest?: Manifest | undefined;
  manifestFile?: string | undefined;
  /** DIR of mkjail's output, when the jail is DIR/root. */
  outputDir?: string | undefined;
}

export function readJailView(root: string, sources: JailSources = {}): JailView {
  const { manifest } = sources;
  const realRoot = realpathSync(root);
  const entries = walkJail(realRoot);
  return {
    root,
    realRoot,
    entries,
    byPath: new Map(entries.map((entry) => [entry.path, entry])),
    manifest,
    writable: manifest ? manifest.writable.map((w) => w.path) : [],
    artifacts: artifactPaths(sources),
  };
}

function artifactPaths({ manifest, manifestFile, outputDir }: JailSources): string[] {
  const layout = outputDir === undefined ? undefined : outputLayout(outputDir);
  const paths = [manifestFile, layout?.launcher, layout?.perms, layout && manifest ? layout.unit(manifest.recipe.name) : undefined];
  return [...new Set(paths.filter((p): p is string => p !== undefined))].sort();
}

/** True when `path` is a declared writable path or lies below one (service data). */
export function isDeclaredWritable(jail: JailView, path: string): boolean {
  return jail.writable.some((w) => isAtOrBelow(path, w));
}

export function isAtOrBelow(path: string, dir: string): boolean {
  return path === dir || dir === '/' || path.startsWith(`${dir}/`);
}

/** Mode and owner of an entry (or any lstat result) in words: "mode 0775, owner 1000:1000". */
export function describeMeta(meta: { mode: number | string; uid: number; gid: number }): string {
  const mode = typeof meta.mode === 'string' ? meta.mode : modeOf({ mode: meta.mode });
  return `mode ${mode}, owner ${meta.uid}:${meta.gid}`;
}

/** True when someone other than root may change the object: not owned by root, or group/other writable. */
export function writableByNonRoot(meta: { uid: number; bits: number }): boolean {
  return meta.uid !== 0 || (meta.bits & 0o022) !== 0;
}

/** The last component of a path inside the jail. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The directory holding a path inside the jail ("/" for "/etc"). */
export function parentPath(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut <= 0 ? '/' : path.slice(0, cut);
}

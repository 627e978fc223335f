// The output directory DIR: refuses dangerous targets, marks DIR as an mkjail output, and cleans up what
// a killed build left behind. Layout: DIR/root (the jail), DIR/manifest.json, DIR/perms.sh, DIR/launch.
import { type Stats, chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { EXIT, MkjailError } from '../errors.js';
import { syncDirectory } from '../fs/durable.js';
import { removeTree } from '../fs/remove-tree.js';
import { readManifest } from '../plan/manifest.js';
import { hostMountWarnings } from './mount-options.js';
import { modeOf, whyOthersCanChangeDirectory } from '../fs/host-trust.js';
import { lstatOrUndefined } from '../fs/path-in-root.js';

/** The file that marks DIR as made by mkjail (so a rebuild may replace what is inside). */
export const OUTPUT_MARKER = '.mkjail-output';
/** Prefix of everything a build stages in DIR before renaming it into place. */
export const STAGING_PREFIX = '.mkjail-staging-';

/**
 * Checks DIR before anything is written; returns warnings (parents a non-root user could use to swap
 * the jail: only for a tree, `jailTree`). Throws on a dangerous target.
 */
export function checkOutputDir(out: string, cwd: string, jailTree: boolean): { dir: string; warnings: string[] } {
  const dir = resolve(cwd, out);
  if (dir === '/') throw refuse(dir, 'it is the host root', 'choose a dedicated directory such as /srv/jails/NAME');
  const symlink = firstSymlink(dir);
  if (symlink) throw refuse(dir, `${symlink} is a symlink`, 'give the real path (a symlink in the path could be swapped to redirect the build)');
  const stats = lstatOrUndefined(dir);
  if (stats && !stats.isDirectory()) throw refuse(dir, 'it exists and is not a directory', 'choose a new or empty directory');
  if (stats) refuseUnsafeOwnership(dir, stats);
  if (stats && !isMkjailOutput(dir)) throw refuse(dir, 'it is a non-empty directory that mkjail did not make', 'choose a new or empty directory (mkjail replaces what it builds there)');
  return { dir, warnings: jailTree ? [...writableParentWarnings(dir), ...hostMountWarnings(dir)] : [] };
}

/** Creates DIR (root 0755, whatever the umask) if needed and marks it as an mkjail output. */
export function claimOutputDir(dir: string): void {
  if (lstatOrUndefined(dir)) {
    markOutputDir(dir);
    return;
  }
  mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
  // DIR itself without `recursive`: a recursive mkdir reports a read-only file system as ENOENT.
  mkdirSync(dir, { mode: 0o755 });
  try {
    chmodSync(dir, 0o755);
    markOutputDir(dir);
    // The new DIR's own name, so that a build that returned is found after a crash.
    syncDirectory(dirname(dir));
  } catch (error) {
    // Nothing half-made: a DIR this build created goes again when it can't be made an output.
    removeTree(dir);
    throw error;
  }
}

function markOutputDir(dir: string): void {
  if (!lstatOrUndefined(join(dir, OUTPUT_MARKER))) writeFileSync(join(dir, OUTPUT_MARKER), 'This directory is managed by mkjail build.\n', { mode: 0o644 });
}

/** Removes staging trees and temporary files a killed build left in DIR. */
export function removeLeftovers(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(STAGING_PREFIX)) removeTree(join(dir, name));
  }
}

/**
 * DIR holds what root runs (launch, perms.sh): only root, or the user building (a --tar build by an
 * ordinary user), may own it, and nobody else may write to it.
 */
function refuseUnsafeOwnership(dir: string, stats: Stats): void {
  const builder = process.geteuid?.() ?? 0;
  if (stats.uid !== 0 && stats.uid !== builder) {
    throw refuse(dir, `it is owned by uid ${stats.uid}, not root: that user can replace DIR/launch, which root runs`, `chown root:root ${dir} && chmod 0755 ${dir}, or choose a new directory`);
  }
  if ((stats.mode & 0o022) !== 0) {
    throw refuse(dir, `it is writable by group or others (mode ${modeOf(stats)}): they can replace DIR/launch, which root runs`, `chmod 0755 ${dir}, or choose a new directory`);
  }
}

/** Empty, marked by `.mkjail-output`, or holding a manifest.json that is an mkjail manifest. */
function isMkjailOutput(dir: string): boolean {
  const names = readdirSync(dir);
  return names.length === 0 || names.includes(OUTPUT_MARKER) || (names.includes('manifest.json') && isManifest(join(dir, 'manifest.json')));
}

function isManifest(file: string): boolean {
  try {
    readManifest(file);
    return true;
  } catch {
    return false;
  }
}

function firstSymlink(path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const prefix = `/${parts.slice(0, i).join('/')}`;
    const stats = lstatOrUndefined(prefix);
    if (!stats) return undefined;
    if (stats.isSymbolicLink()) return prefix;
  }
  return undefined;
}

/** Parents that a non-root user could use to swap the jail: owned by non-root, or group/other writable without the sticky bit. */
function writableParentWarnings(dir: string): string[] {
  const warnings: string[] = [];
  for (let parent = dirname(dir); ; parent = dirname(parent)) {
    const stats = lstatOrUndefined(parent);
    const why = stats && whyOthersCanChangeDirectory(stats);
    if (why) warnings.push(`parent directory ${parent} of the jail ${why}: they can replace the jail`);
    if (parent === '/') break;
  }
  return warnings;
}

function refuse(dir: string, what: string, hint: string): MkjailError {
  return new MkjailError(`Can't build into output directory at ${dir}: ${what}`, { exitCode: EXIT.badInput, hint });
}


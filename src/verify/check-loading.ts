// The static load check: every ELF file of the jail must find its interpreter and each DT_NEEDED
// library inside the jail, resolved as glibc's loader would with the jail as `/` (nothing is run).
import { EXIT, isMkjailError } from '../errors.js';
import { readEntryStart, type ObservedEntry } from '../fs/read-tree.js';
import { resolveClosure } from '../resolve/library-closure.js';
import type { Drift } from './drift.js';

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** `load` drifts of the regular files `files` of the jail at `root` (non-ELF files are skipped). */
export function checkLoading(root: string, files: readonly ObservedEntry[]): Drift[] {
  const elves = files.filter((file) => file.size >= ELF_MAGIC.length && isElf(root, file)).map((file) => file.path);
  if (elves.length === 0) return [];
  try {
    return missingOf(root, elves);
  } catch (error) {
    if (!isBadElf(error)) throw error;
    // One unreadable ELF spoils the whole closure: check each file alone to name the broken ones.
    return elves.flatMap((path) => checkOne(root, path));
  }
}

function checkOne(root: string, path: string): Drift[] {
  try {
    return missingOf(root, [path]);
  } catch (error) {
    if (!isBadElf(error)) throw error;
    return [{ kind: 'load', path, expected: 'a loadable ELF file', found: (error as Error).message }];
  }
}

function missingOf(root: string, paths: string[]): Drift[] {
  const closure = resolveClosure(paths, { root });
  // One object may be reached by two paths (as an input, and through /lib -> usr/lib as a library):
  // report each missing name once, at the object's real path (the one the manifest lists).
  const realOf = new Map(closure.objects.map((object) => [object.path, object.real]));
  const seen = new Set<string>();
  const drifts: Drift[] = [];
  for (const missing of closure.missing) {
    const path = realOf.get(missing.neededBy) ?? missing.neededBy;
    const key = `${path}\0${missing.soname}`;
    if (seen.has(key)) continue;
    seen.add(key);
    drifts.push({ kind: 'load', path, expected: missing.soname, found: 'nothing in the jail' });
  }
  return drifts;
}

function isElf(root: string, file: ObservedEntry): boolean {
  return readEntryStart(root, file, ELF_MAGIC.length).equals(ELF_MAGIC);
}

function isBadElf(error: unknown): boolean {
  return isMkjailError(error) && error.exitCode === EXIT.badInput;
}

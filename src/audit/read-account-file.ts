// Reads an account database of the jail (etc/passwd, etc/group) as the jailed service would see it:
// resolved inside the root (a symlink never leads out), split into colon-separated records.
import { readFileSync } from 'node:fs';
import { hostPath, resolveInRoot } from '../fs/path-in-root.js';

export interface AccountRecord {
  /** 1-based line number in the file. */
  line: number;
  fields: string[];
}

/** The records of `path` (inside the jail), or undefined when it is absent or not a regular file. */
export function readAccountFile(root: string, path: string): AccountRecord[] | undefined {
  let resolved;
  try {
    resolved = resolveInRoot(root, path);
  } catch {
    return undefined;
  }
  if (!resolved || !resolved.stats.isFile()) return undefined;
  const text = readFileSync(hostPath(root, resolved.real), 'utf8');
  return text
    .split('\n')
    .map((raw, index) => ({ line: index + 1, raw }))
    .filter(({ raw }) => raw.trim() !== '' && !raw.startsWith('#'))
    .map(({ line, raw }) => ({ line, fields: raw.split(':') }));
}

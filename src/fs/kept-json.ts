// A cache file of root's, kept as one JSON object tagged with its format: read only when no other user
// could have written it, replaced whole or not at all. A cache that can't be read or written is no
// cache: the caller works the answer out again.
import { existsSync, readFileSync } from 'node:fs';
import { ownershipProblem } from './host-trust.js';
import { replaceFile } from './replace-file.js';

/** The object in `file` when only root could have written it and it says `format`; undefined otherwise. */
export function readKeptJson(file: string, format: string): Record<string, unknown> | undefined {
  try {
    if (!existsSync(file) || ownershipProblem(file) !== undefined) return undefined;
    const kept = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof kept !== 'object' || kept === null || (kept as { format?: unknown }).format !== format) return undefined;
    return kept as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Writes `{ format, ...fields }` to `file`, 0600; a failure is ignored. */
export function keepJson(file: string, format: string, fields: Record<string, unknown>): void {
  try {
    replaceFile(file, JSON.stringify({ format, ...fields }), 0o600);
  } catch {
    // Only a cache.
  }
}

// Replacing a small file whole or not at all: the new bytes go to a file of this process beside it,
// which is renamed over the old one, so a reader sees the old file or the new, never part of one. Not
// durable (no fsync): for lists and caches, which a crash may leave as they were but never torn.
import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Writes `data` to `path` (mode `mode`) through `path.PID.partial`. A failure is thrown, and leaves
 * `path` as it was and no partial file behind.
 */
export function replaceFile(path: string, data: string | Uint8Array, mode: number): void {
  const partial = `${path}.${process.pid}.partial`;
  // One that a killed process of the same pid left.
  rmSync(partial, { force: true });
  try {
    writeFileSync(partial, data, { mode, flag: 'wx' });
    renameSync(partial, path);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

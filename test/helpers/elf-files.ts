// The ELF files of a host directory, to run commands over many real programs.
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The regular files directly in `dir` that start with the ELF magic, sorted by name. */
export function elfFilesIn(dir: string): string[] {
  const head = Buffer.alloc(4);
  return readdirSync(dir)
    .sort()
    .map((name) => join(dir, name))
    .filter((path) => {
      if (!statSync(path, { throwIfNoEntry: false })?.isFile()) return false;
      const fd = openSync(path, 'r');
      try {
        return readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32BE(0) === 0x7f454c46;
      } finally {
        closeSync(fd);
      }
    });
}

// The benchmarks' and some tests' inputs: the ELF executables of some directories, found by their magic number.
import { closeSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs';

function isElf(path) {
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32BE(0) === 0x7f454c46;
  } finally {
    closeSync(fd);
  }
}

/**
 * Regular executable ELF files directly in `dirs`, each directory's names sorted. `skipSetId` leaves out
 * setuid and setgid programs.
 */
export function elfExecutables(dirs, { skipSetId = false } = {}) {
  const files = [];
  for (const dir of dirs) {
    for (const name of readdirSync(dir).sort()) {
      const path = `${dir}/${name}`;
      const stats = lstatSync(path);
      if (!stats.isFile() || (stats.mode & 0o111) === 0 || (skipSetId && (stats.mode & 0o6000) !== 0)) continue;
      if (isElf(path)) files.push(path);
    }
  }
  return files;
}

// Reading a whole file through one buffer kept for the process. Hashing or copying a library closure
// (named's is 57 MB) a buffer per file at a time costs more in fresh memory (page faults, zero-filling)
// than the hashing itself; through one 1 MiB buffer the bytes stay in the CPU's cache between the read
// and their use.
import { readSync } from 'node:fs';

const CHUNK_BYTES = 1 << 20;
let shared: Buffer | undefined;
let inUse = false;

/**
 * Reads the open file `fd` from its current offset to its end, passing each chunk to `use`; returns
 * the number of bytes read. A chunk is valid only during its call (the buffer is reused).
 */
export function forEachChunk(fd: number, use: (chunk: Buffer) => void): number {
  // A `use` that reads another file this way gets a buffer of its own.
  const buffer = inUse ? Buffer.allocUnsafe(CHUNK_BYTES) : (shared ??= Buffer.allocUnsafe(CHUNK_BYTES));
  const owner = !inUse;
  inUse = true;
  let total = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) return total;
      total += read;
      use(buffer.subarray(0, read));
    }
  } finally {
    if (owner) inUse = false;
  }
}

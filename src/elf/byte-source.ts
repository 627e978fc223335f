// Bounded, synchronous reads of byte ranges of one open file: the first 4 KiB is read once and reused,
// every other range is read on demand (4 KiB at a time, or exactly what is asked for when bigger).
import { readSync } from 'node:fs';

const HEAD_BYTES = 4096;
const CHUNK_BYTES = 4096;

/**
 * One file is read at a time (everything is synchronous), so the buffers for the first 4 KiB and
 * for the current chunk are shared: a view returned by `read` is valid until the next read.
 */
const sharedHead = Buffer.allocUnsafe(HEAD_BYTES);
const sharedChunk = Buffer.allocUnsafe(CHUNK_BYTES);

/** Valid until the next ByteSource is created: callers copy out what they keep (strings, numbers). */
export class ByteSource {
  readonly size: number;
  /** How many bytes of the file's start are held (min(size, 4 KiB)). */
  readonly headLength: number;
  private readonly fd: number;
  private chunkStart = 0;
  private chunkLength = 0;

  constructor(fd: number, size: number) {
    this.fd = fd;
    this.size = size;
    this.headLength = this.readInto(sharedHead, 0, Math.min(size, HEAD_BYTES));
  }

  /** True when [offset, offset + length) lies inside the file. */
  contains(offset: number, length: number): boolean {
    return offset >= 0 && length >= 0 && offset <= this.size && length <= this.size - offset;
  }

  /** Byte `index` of the file's start (index < headLength). */
  headByte(index: number): number {
    return sharedHead[index] ?? 0;
  }

  /** The bytes [offset, offset + length) as a DataView (no copy when already held); the caller has checked `contains`. */
  view(offset: number, length: number): DataView {
    if (offset + length <= this.headLength) return viewOf(sharedHead, offset, length);
    if (offset >= this.chunkStart && offset + length <= this.chunkStart + this.chunkLength) {
      return viewOf(sharedChunk, offset - this.chunkStart, length);
    }
    if (length <= CHUNK_BYTES) {
      this.loadChunk(offset);
      return viewOf(sharedChunk, offset - this.chunkStart, Math.min(length, this.chunkStart + this.chunkLength - offset));
    }
    const fresh = Buffer.allocUnsafe(length);
    return viewOf(fresh, 0, this.readInto(fresh, offset, length));
  }

  /**
   * The NUL-terminated string starting at `offset`, looked for before `end` and within `maxLength`
   * bytes; undefined when there is no NUL in that window. Searches the buffers in place (no copies).
   */
  readCString(offset: number, end: number, maxLength: number): string | undefined {
    const limit = Math.min(end, this.size, offset + maxLength + 1);
    if (limit <= offset) return undefined;
    if (limit <= this.headLength) return cString(sharedHead, offset, limit);
    // Most strings are short and lie next to each other (DT_NEEDED names): the chunk holding the
    // string's start usually holds its NUL and the next names too. Only a string running past it is
    // read again, whole window at once.
    if (offset < this.chunkStart || offset >= this.chunkStart + this.chunkLength) this.loadChunk(offset);
    const inChunk = cString(sharedChunk, offset - this.chunkStart, Math.min(limit - this.chunkStart, this.chunkLength));
    if (inChunk !== undefined || limit <= this.chunkStart + this.chunkLength) return inChunk;
    const fresh = Buffer.allocUnsafe(limit - offset);
    return cString(fresh, 0, this.readInto(fresh, offset, limit - offset));
  }

  /**
   * Reads the 4 KiB from `offset`, or the file's last 4 KiB when `offset` is within them: the section
   * header table sits at the end of a file with the section names just before it, so one read holds both.
   */
  private loadChunk(offset: number): void {
    this.chunkStart = Math.max(0, Math.min(offset, this.size - CHUNK_BYTES));
    this.chunkLength = this.readInto(sharedChunk, this.chunkStart, Math.min(CHUNK_BYTES, this.size - this.chunkStart));
  }

  /** Reads up to `length` bytes at `offset` into the start of `buffer`; returns how many (fewer at end of file). */
  private readInto(buffer: Buffer, offset: number, length: number): number {
    let done = 0;
    while (done < length) {
      const got = readSync(this.fd, buffer, done, length - done, offset + done);
      if (got === 0) break;
      done += got;
    }
    return done;
  }
}

function viewOf(buffer: Buffer, offset: number, length: number): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset + offset, length);
}

/** The string in `buffer` from `start` to the first NUL before `limit`, or undefined. */
function cString(buffer: Buffer, start: number, limit: number): string | undefined {
  const nul = buffer.indexOf(0, start);
  return nul >= 0 && nul < limit ? buffer.toString('utf8', start, nul) : undefined;
}

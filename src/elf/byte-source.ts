// Bounded, synchronous reads of byte ranges of one open file: the first 4 KiB is read once and reused,
// every other range is read on demand and checked against the file size (never more than asked for).
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
  readonly head: Buffer;
  private readonly fd: number;
  private chunk: Buffer = Buffer.alloc(0);
  private chunkStart = 0;

  constructor(fd: number, size: number) {
    this.fd = fd;
    this.size = size;
    this.head = this.readInto(sharedHead, 0, Math.min(size, HEAD_BYTES));
  }

  /** True when [offset, offset + length) lies inside the file. */
  contains(offset: number, length: number): boolean {
    return offset >= 0 && length >= 0 && offset <= this.size && length <= this.size - offset;
  }

  /** The bytes [offset, offset + length); the caller has checked `contains`. */
  read(offset: number, length: number): Buffer {
    if (offset + length <= this.head.length) return this.head.subarray(offset, offset + length);
    const chunkEnd = this.chunkStart + this.chunk.length;
    if (offset >= this.chunkStart && offset + length <= chunkEnd) {
      return this.chunk.subarray(offset - this.chunkStart, offset - this.chunkStart + length);
    }
    if (length <= CHUNK_BYTES) {
      this.loadChunk(offset);
      return this.chunk.subarray(0, length);
    }
    return this.readFresh(offset, length);
  }

  /**
   * The NUL-terminated string starting at `offset`, looked for before `end` and within `maxLength`
   * bytes; undefined when there is no NUL in that window. Searches the buffers in place (no copies).
   */
  readCString(offset: number, end: number, maxLength: number): string | undefined {
    const limit = Math.min(end, this.size, offset + maxLength + 1);
    if (limit <= offset) return undefined;
    if (limit <= this.head.length) return cString(this.head, offset, limit);
    if (limit - offset > CHUNK_BYTES) return cString(this.readFresh(offset, limit - offset), 0, limit - offset);
    const chunkEnd = this.chunkStart + this.chunk.length;
    if (offset < this.chunkStart || limit > chunkEnd) this.loadChunk(offset);
    return cString(this.chunk, offset - this.chunkStart, limit - this.chunkStart);
  }

  private loadChunk(offset: number): void {
    this.chunkStart = offset;
    this.chunk = this.readInto(sharedChunk, offset, Math.min(CHUNK_BYTES, this.size - offset));
  }

  private readFresh(offset: number, length: number): Buffer {
    return this.readInto(Buffer.allocUnsafe(length), offset, length);
  }

  private readInto(buffer: Buffer, offset: number, length: number): Buffer {
    let done = 0;
    while (done < length) {
      const got = readSync(this.fd, buffer, done, length - done, offset + done);
      if (got === 0) break;
      done += got;
    }
    return buffer.subarray(0, done);
  }
}

/** The string in `buffer` from `start` to the first NUL before `limit`, or undefined. */
function cString(buffer: Buffer, start: number, limit: number): string | undefined {
  const nul = buffer.indexOf(0, start);
  return nul >= 0 && nul < limit ? buffer.toString('utf8', start, nul) : undefined;
}

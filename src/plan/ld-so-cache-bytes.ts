// Writes an /etc/ld.so.cache in glibc's "glibc-ld.so.cache1.1" format (elf/cache.c save_cache, new
// format only, no extension): plain entries sorted as the loader's binary search expects, same bytes
// for the same entries.

const MAGIC = 'glibc-ld.so.cache1.1';
const HEADER_BYTES = 48;
const ENTRY_BYTES = 24;
/** Header flags: little-endian (cache_file_new_matches_endian). */
const FLAGS_LITTLE_ENDIAN = 2;

export interface CacheFileEntry {
  /** The loader's type and ABI word (0x0303 for x86-64 libc6 objects). */
  flags: number;
  soname: string;
  /** The path the loader opens (directory of the entry / SONAME). */
  path: string;
}

/** The cache file holding `entries` (duplicates of one SONAME and flags keep their first path). */
export function ldSoCacheBytes(entries: readonly CacheFileEntry[]): Buffer {
  const sorted = uniqueEntries(entries).sort(compareEntries);
  const strings = new StringTable(HEADER_BYTES + sorted.length * ENTRY_BYTES);
  const offsets = sorted.map((entry) => ({ entry, key: strings.offsetOf(entry.soname), value: strings.offsetOf(entry.path) }));
  const table = strings.bytes();
  const file = Buffer.alloc(HEADER_BYTES + sorted.length * ENTRY_BYTES + table.length);
  file.write(MAGIC, 0, 'latin1');
  file.writeUInt32LE(sorted.length, 20);
  file.writeUInt32LE(table.length, 24);
  file.writeUInt8(FLAGS_LITTLE_ENDIAN, 28);
  offsets.forEach(({ entry, key, value }, i) => {
    const at = HEADER_BYTES + i * ENTRY_BYTES;
    file.writeInt32LE(entry.flags, at);
    file.writeUInt32LE(key, at + 4);
    file.writeUInt32LE(value, at + 8);
  });
  table.copy(file, HEADER_BYTES + sorted.length * ENTRY_BYTES);
  return file;
}

function uniqueEntries(entries: readonly CacheFileEntry[]): CacheFileEntry[] {
  const seen = new Map<string, CacheFileEntry>();
  for (const entry of entries) {
    const key = `${entry.flags}\0${entry.soname}`;
    if (!seen.has(key)) seen.set(key, entry);
  }
  return [...seen.values()];
}

/** ldconfig's order: SONAMEs descending by _dl_cache_libcmp, then higher flags first, then path. */
function compareEntries(a: CacheFileEntry, b: CacheFileEntry): number {
  return cacheLibCompare(b.soname, a.soname) || b.flags - a.flags || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

/**
 * glibc _dl_cache_libcmp: runs of digits compare as numbers, a digit sorts after any other byte,
 * other bytes compare as unsigned values.
 */
export function cacheLibCompare(left: string, right: string): number {
  const a = Buffer.from(left, 'utf8');
  const b = Buffer.from(right, 'utf8');
  let i = 0;
  let j = 0;
  while (i < a.length) {
    const x = a[i] ?? 0;
    const y = b[j] ?? 0;
    if (isDigit(x)) {
      if (!isDigit(y)) return 1;
      const left = readNumber(a, i);
      const right = readNumber(b, j);
      if (left.value !== right.value) return left.value - right.value;
      i = left.end;
      j = right.end;
    } else if (isDigit(y)) {
      return -1;
    } else if (x !== y) {
      return x - y;
    } else {
      i++;
      j++;
    }
  }
  return 0 - (b[j] ?? 0);
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

function readNumber(bytes: Buffer, start: number): { value: number; end: number } {
  let value = 0;
  let end = start;
  while (end < bytes.length && isDigit(bytes[end] ?? 0)) value = value * 10 + (bytes[end++] ?? 0x30) - 0x30;
  return { value, end };
}

/** NUL-terminated strings, each stored once, at offsets counted from the start of the file. */
class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly parts: Buffer[] = [];
  private length = 0;

  constructor(private readonly base: number) {}

  offsetOf(text: string): number {
    let offset = this.offsets.get(text);
    if (offset === undefined) {
      offset = this.base + this.length;
      const bytes = Buffer.from(`${text}\0`, 'utf8');
      this.parts.push(bytes);
      this.length += bytes.length;
      this.offsets.set(text, offset);
    }
    return offset;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

// Parses /etc/ld.so.cache (format "glibc-ld.so.cache1.1", optionally behind the old "ld.so-1.7.0"
// header) into entries by SONAME, keeping the file's order, which is the loader's order of preference.
// A cache the loader would reject (glibc elf/dl-cache.c) is reported as undefined: the loader ignores it.

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const NEW_HEADER_BYTES = 48;
const NEW_ENTRY_BYTES = 24;
const OLD_ENTRY_BYTES = 12;
const EXTENSION_MAGIC = 0xeaa42174;
const EXTENSION_TAG_HWCAPS = 1;
/** Bit 62 of an entry's hwcap: the low 32 bits index the glibc-hwcaps subdirectory names. */
const HWCAP_EXTENSION_HIGH = 1 << 30;
const ISA_LEVEL_MASK_HIGH = 0x3ff;

export interface CacheEntry {
  flags: number;
  soname: string;
  path: string;
  /** The raw hwcap word, when the entry is not a glibc-hwcaps one (legacy tls/x86_64 bits). */
  hwcap: bigint;
  /** The glibc-hwcaps subdirectory name (e.g. "x86-64-v3") for a glibc-hwcaps entry. */
  hwcapsSubdir: string | undefined;
  /** The x86 ISA level a glibc-hwcaps entry needs (0 for none). */
  isaLevel: number;
}

export interface LdSoCache {
  /** The entries for `soname`, in the file's order; undefined when it has none. */
  entries(soname: string): CacheEntry[] | undefined;
  /** Every entry, in the file's order. */
  all(): CacheEntry[];
  size: number;
}

/** The parsed cache, or undefined when the loader would reject it. */
export function parseLdSoCache(bytes: Buffer): LdSoCache | undefined {
  if (bytes.length >= OLD_MAGIC.length && bytes.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    return parseOldFormat(bytes);
  }
  return parseNewFormat(bytes, 0);
}

function parseOldFormat(bytes: Buffer): LdSoCache | undefined {
  if (bytes.length < 16) return undefined;
  const count = bytes.readUInt32LE(12);
  const entriesEnd = 16 + count * OLD_ENTRY_BYTES;
  if (entriesEnd > bytes.length) return undefined;
  const newStart = (entriesEnd + 7) & ~7;
  const hasNew = newStart + NEW_HEADER_BYTES <= bytes.length && bytes.toString('latin1', newStart, newStart + NEW_MAGIC.length) === NEW_MAGIC;
  if (hasNew) return parseNewFormat(bytes, newStart);
  return IndexedCache.of(bytes, count, (i) => 16 + i * OLD_ENTRY_BYTES, entriesEnd, (at, soname, path) => ({
    flags: bytes.readInt32LE(at),
    soname,
    path,
    hwcap: 0n,
    hwcapsSubdir: undefined,
    isaLevel: 0,
  }));
}

function parseNewFormat(bytes: Buffer, start: number): LdSoCache | undefined {
  if (bytes.length - start <= NEW_HEADER_BYTES) return undefined;
  if (bytes.toString('latin1', start, start + NEW_MAGIC.length) !== NEW_MAGIC) return undefined;
  const count = bytes.readUInt32LE(start + 20);
  if ((bytes.length - start - NEW_HEADER_BYTES) / NEW_ENTRY_BYTES < count) return undefined;
  const endianness = (bytes[start + 28] ?? 0) & 3;
  if (endianness !== 0 && endianness !== 2) return undefined;
  const subdirs = readHwcapsNames(bytes, start);
  return IndexedCache.of(bytes, count, (i) => start + NEW_HEADER_BYTES + i * NEW_ENTRY_BYTES, start, (at, soname, path) => {
    const hwcap = bytes.readBigUInt64LE(at + 16);
    const high = Number(hwcap >> 32n);
    const isExtension = (high & ~ISA_LEVEL_MASK_HIGH) === HWCAP_EXTENSION_HIGH;
    return {
      flags: bytes.readInt32LE(at),
      soname,
      path,
      hwcap: isExtension ? 0n : hwcap,
      hwcapsSubdir: isExtension ? (subdirs[Number(hwcap & 0xffffffffn)] ?? '') : undefined,
      isaLevel: isExtension ? high & ISA_LEVEL_MASK_HIGH : 0,
    };
  });
}

/**
 * The cache's entries indexed by SONAME. Every entry's two strings are checked when the cache is read
 * (a bad offset rejects the whole cache, as before), but an entry becomes an object only when its
 * SONAME is asked for: a run asks for a few hundred of the file's entries, and its first lookups run
 * before the JIT has warmed up.
 */
class IndexedCache implements LdSoCache {
  private readonly decoded = new Map<number, CacheEntry>();

  private constructor(
    private readonly byName: Map<string, number[]>,
    private readonly count: number,
    private readonly decodeAt: (index: number, soname?: string) => CacheEntry,
    readonly size: number,
  ) {}

  /**
   * `entryAt(i)` is where entry i starts; its key and value are string offsets (from `stringsBase`) at
   * +4 and +8; `decode` makes the entry from there. Undefined when a string is outside the file.
   */
  static of(bytes: Buffer, count: number, entryAt: (index: number) => number, stringsBase: number, decode: (at: number, soname: string, path: string) => CacheEntry): IndexedCache | undefined {
    const byName = new Map<string, number[]>();
    for (let i = 0; i < count; i++) {
      const at = entryAt(i);
      const soname = cString(bytes, stringsBase + bytes.readUInt32LE(at + 4));
      if (soname === undefined || !hasCString(bytes, stringsBase + bytes.readUInt32LE(at + 8))) return undefined;
      const list = byName.get(soname);
      if (list) list.push(i);
      else byName.set(soname, [i]);
    }
    // A SONAME looked up is the entry's own: it is decoded again only for all().
    const decodeAt = (i: number, soname?: string): CacheEntry => {
      const at = entryAt(i);
      const string = (field: number) => cString(bytes, stringsBase + bytes.readUInt32LE(at + field)) as string;
      return decode(at, soname ?? string(4), string(8));
    };
    return new IndexedCache(byName, count, decodeAt, bytes.length);
  }

  entries(soname: string): CacheEntry[] | undefined {
    return this.byName.get(soname)?.map((i) => this.entry(i, soname));
  }

  all(): CacheEntry[] {
    return Array.from({ length: this.count }, (_, i) => this.entry(i));
  }

  private entry(index: number, soname?: string): CacheEntry {
    let entry = this.decoded.get(index);
    if (!entry) {
      entry = this.decodeAt(index, soname);
      this.decoded.set(index, entry);
    }
    return entry;
  }
}

/** The glibc-hwcaps subdirectory names of the extension directory; empty when it is absent or bad. */
function readHwcapsNames(bytes: Buffer, start: number): string[] {
  const offset = bytes.readUInt32LE(start + 32);
  if (offset === 0 || offset % 4 !== 0 || offset + 8 > bytes.length) return [];
  if (bytes.readUInt32LE(offset) !== EXTENSION_MAGIC) return [];
  const count = bytes.readUInt32LE(offset + 4);
  if (offset + 8 + count * 16 > bytes.length) return [];
  for (let i = 0; i < count; i++) {
    const at = offset + 8 + i * 16;
    if (bytes.readUInt32LE(at) !== EXTENSION_TAG_HWCAPS) continue;
    const dataOffset = bytes.readUInt32LE(at + 8);
    const size = bytes.readUInt32LE(at + 12);
    if (size % 4 !== 0 || dataOffset + size > bytes.length) return [];
    const names: string[] = [];
    for (let n = 0; n < size / 4; n++) names.push(cString(bytes, start + bytes.readUInt32LE(dataOffset + n * 4)) ?? '');
    return names;
  }
  return [];
}

function cString(bytes: Buffer, offset: number): string | undefined {
  if (offset >= bytes.length) return undefined;
  const end = bytes.indexOf(0, offset);
  return end < 0 ? undefined : bytes.toString('utf8', offset, end);
}

/** True when a NUL-terminated string starts at `offset`, without decoding it. */
function hasCString(bytes: Buffer, offset: number): boolean {
  return offset < bytes.length && bytes.indexOf(0, offset) >= 0;
}

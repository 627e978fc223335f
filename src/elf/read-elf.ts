// Reads what the dynamic loader reads from an ELF file (ELF32/ELF64, either byte order): the header,
// the program headers, PT_INTERP and PT_DYNAMIC, with strings found through the segments' addresses
// (section headers are never needed). Every offset and count is checked; bad input throws MkjailError.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { EXIT, MkjailError, READ_ACCESS_HINT, errnoCode, errnoWords, isPermissionDenied } from '../errors.js';
import { ByteSource } from './byte-source.js';
import { type DlopenNoteEntry, type FieldReader, type NoteRegion, noteSections, readDlopenNotes } from './dlopen-note.js';

export type { DlopenNoteEntry } from './dlopen-note.js';

export const ET_EXEC = 2;
export const ET_DYN = 3;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PT_NOTE = 4;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;
const DT_FLAGS_1 = 0x6ffffffb;
export const DF_1_NODEFLIB = 0x800;

/** Limits that keep hostile files from costing unbounded time or memory. */
const MAX_PATH_BYTES = 4096;
const MAX_DYNAMIC_ENTRIES = 65536;
const MAX_NEEDED = 4096;

export interface ElfInfo {
  elfClass: 32 | 64;
  littleEndian: boolean;
  osAbi: number;
  type: number;
  machine: number;
  /** PT_INTERP as written, when present. */
  interpreter: string | undefined;
  /** True when the file has a PT_DYNAMIC segment. */
  dynamic: boolean;
  needed: string[];
  soname: string | undefined;
  rpath: string | undefined;
  runpath: string | undefined;
  flags1: number;
  /** The `.note.dlopen` entries (owner FDO): libraries the object dlopen()s, with their priority. */
  dlopen: DlopenNoteEntry[];
}

/** The identity of an ELF file as the loader compares it (class, byte order, machine). */
export function elfAbiKey(info: Pick<ElfInfo, 'elfClass' | 'littleEndian' | 'machine'>): string {
  return `${info.elfClass}${info.littleEndian ? 'l' : 'b'}${info.machine}`;
}

/**
 * Reads the ELF file at host path `file`; `shownAs` names it in errors (its path inside the root).
 * `knownSize` (from a stat the caller already made of this regular file) saves an fstat.
 */
export function readElfFile(file: string, shownAs: string = file, knownSize?: number): ElfInfo {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then rejects it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new MkjailError(`Can't open ELF file at ${shownAs}: ${errnoWords(error)}`, isPermissionDenied(error)
      ? { exitCode: EXIT.environment, hint: READ_ACCESS_HINT }
      : { exitCode: EXIT.badInput, hint: 'check the path and its permissions' });
  }
  try {
    if (knownSize !== undefined) return readElf(new ByteSource(fd, knownSize), shownAs);
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw corrupt(shownAs, 'not a regular file', 'pass an ELF executable or shared library');
    return readElf(new ByteSource(fd, stats.size), shownAs);
  } catch (error) {
    const code = errnoCode(error);
    if (code === undefined) throw error;
    throw new MkjailError(`Can't read ELF file at ${shownAs}: ${code}`, { exitCode: EXIT.badInput, hint: 'check the file and its permissions' });
  } finally {
    closeSync(fd);
  }
}

/** Parses the ELF file behind `source`. */
export function readElf(source: ByteSource, shownAs: string): ElfInfo {
  try {
    return parse(source, shownAs);
  } catch (error) {
    if (error instanceof RangeError) throw corrupt(shownAs, 'truncated (the file changed while being read)');
    throw error;
  }
}

function parse(source: ByteSource, shownAs: string): ElfInfo {
  const headLength = source.headLength;
  const magic = source.headByte(0) === 0x7f && source.headByte(1) === 0x45 && source.headByte(2) === 0x4c && source.headByte(3) === 0x46;
  if (headLength < 4 || !magic) {
    throw corrupt(shownAs, 'not an ELF file (no \\x7fELF magic)', 'pass an ELF executable or shared library');
  }
  if (headLength < 16) throw corrupt(shownAs, 'truncated ELF header');
  const classByte = source.headByte(4);
  const dataByte = source.headByte(5);
  if (classByte !== 1 && classByte !== 2) throw corrupt(shownAs, `unknown ELF class ${classByte}`);
  if (dataByte !== 1 && dataByte !== 2) throw corrupt(shownAs, `unknown ELF byte order ${dataByte}`);
  const is64 = classByte === 2;
  const r: Fields = FIELD_READERS[dataByte === 1 ? 'little' : 'big'][is64 ? 64 : 32];
  const headerSize = is64 ? 64 : 52;
  if (headLength < headerSize) throw corrupt(shownAs, 'truncated ELF header');
  const head = source.view(0, headerSize);
  const type = r.u16(head, 16);
  const machine = r.u16(head, 18);
  const phoff = is64 ? r.u64(head, 32) : r.u32(head, 28);
  const phentsize = r.u16(head, is64 ? 54 : 42);
  const phnum = r.u16(head, is64 ? 56 : 44);
  if (type !== ET_EXEC && type !== ET_DYN) {
    throw corrupt(shownAs, `not an executable or shared library (ELF type ${type})`, 'pass an ELF executable or shared library');
  }
  const info: ElfInfo = {
    elfClass: is64 ? 64 : 32,
    littleEndian: dataByte === 1,
    osAbi: source.headByte(7),
    type,
    machine,
    interpreter: undefined,
    dynamic: false,
    needed: [],
    soname: undefined,
    rpath: undefined,
    runpath: undefined,
    flags1: 0,
    dlopen: [],
  };
  const sections = noteSections(source, r, head);
  if (phnum === 0) {
    info.dlopen = readDlopenNotes(source, r, sections ?? [], shownAs);
    return info;
  }
  if (phnum === 0xffff) throw corrupt(shownAs, 'too many program headers (PN_XNUM)');
  if (phentsize !== (is64 ? 56 : 32)) throw corrupt(shownAs, `bad program header size ${phentsize}`);
  if (!source.contains(phoff, phnum * phentsize)) throw corrupt(shownAs, 'truncated program headers');
  const phdrs = readProgramHeaders(source.view(phoff, phnum * phentsize), r, phnum);
  info.dlopen = readDlopenNotes(source, r, sections ?? noteSegments(phdrs), shownAs);
  const interp = phdrs.find(PT_INTERP);
  if (interp >= 0) info.interpreter = readInterpreter(source, phdrs.offset(interp), phdrs.filesz(interp), shownAs);
  const dynamic = phdrs.find(PT_DYNAMIC);
  if (dynamic >= 0) {
    info.dynamic = true;
    readDynamic(source, r, phdrs, dynamic, info, shownAs);
  }
  return info;
}

/**
 * The program headers the loader's view needs (PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE; the others are
 * skipped), five numbers each in one table that every file reuses: files are parsed one at a time, and
 * a file's headers are no longer needed once it is parsed. No object is made per header.
 */
class ProgramHeaders {
  static readonly FIELDS = 5;
  count = 0;
  private table = new Float64Array(16 * ProgramHeaders.FIELDS);

  add(type: number, offset: number, vaddr: number, filesz: number, align: number): void {
    const at = this.count * ProgramHeaders.FIELDS;
    if (at + ProgramHeaders.FIELDS > this.table.length) {
      const bigger = new Float64Array(this.table.length * 2);
      bigger.set(this.table);
      this.table = bigger;
    }
    this.table[at] = type;
    this.table[at + 1] = offset;
    this.table[at + 2] = vaddr;
    this.table[at + 3] = filesz;
    this.table[at + 4] = align;
    this.count++;
  }

  /** The index of the first header of `type`, or -1. */
  find(type: number, from = 0): number {
    for (let i = from; i < this.count; i++) if (this.type(i) === type) return i;
    return -1;
  }

  type(i: number): number {
    return this.table[i * ProgramHeaders.FIELDS] as number;
  }

  offset(i: number): number {
    return this.table[i * ProgramHeaders.FIELDS + 1] as number;
  }

  vaddr(i: number): number {
    return this.table[i * ProgramHeaders.FIELDS + 2] as number;
  }

  filesz(i: number): number {
    return this.table[i * ProgramHeaders.FIELDS + 3] as number;
  }

  align(i: number): number {
    return this.table[i * ProgramHeaders.FIELDS + 4] as number;
  }
}

const sharedHeaders = new ProgramHeaders();

/** PT_NOTE segments, where a file without section headers keeps its allocated notes. */
function noteSegments(phdrs: ProgramHeaders): NoteRegion[] {
  const regions: NoteRegion[] = [];
  for (let i = phdrs.find(PT_NOTE); i >= 0; i = phdrs.find(PT_NOTE, i + 1)) {
    regions.push({ offset: phdrs.offset(i), size: phdrs.filesz(i), align: phdrs.align(i) });
  }
  return regions;
}

/** Reads the program headers into the shared table (valid until the next file's). */
function readProgramHeaders(bytes: DataView, r: Fields, count: number): ProgramHeaders {
  const headers = sharedHeaders;
  headers.count = 0;
  for (let i = 0; i < count; i++) {
    const at = i * (r.is64 ? 56 : 32);
    const type = r.u32(bytes, at);
    if (type !== PT_LOAD && type !== PT_DYNAMIC && type !== PT_INTERP && type !== PT_NOTE) continue;
    if (r.is64) headers.add(type, r.u64(bytes, at + 8), r.u64(bytes, at + 16), r.u64(bytes, at + 32), r.u64(bytes, at + 48));
    else headers.add(type, r.u32(bytes, at + 4), r.u32(bytes, at + 8), r.u32(bytes, at + 16), r.u32(bytes, at + 28));
  }
  return headers;
}

function readInterpreter(source: ByteSource, offset: number, filesz: number, shownAs: string): string {
  if (!source.contains(offset, filesz)) throw corrupt(shownAs, 'truncated PT_INTERP segment');
  const path = source.readCString(offset, offset + filesz, MAX_PATH_BYTES);
  if (path === undefined) throw corrupt(shownAs, 'PT_INTERP is not a NUL-terminated path');
  if (path === '') throw corrupt(shownAs, 'PT_INTERP is empty');
  return path;
}

/** Reads PT_DYNAMIC (header `dynamic` of `phdrs`) into `info`. */
function readDynamic(source: ByteSource, r: Fields, phdrs: ProgramHeaders, dynamic: number, info: ElfInfo, shownAs: string): void {
  const offset = phdrs.offset(dynamic);
  const filesz = phdrs.filesz(dynamic);
  if (!source.contains(offset, filesz)) throw corrupt(shownAs, 'truncated PT_DYNAMIC segment');
  const entrySize = r.is64 ? 16 : 8;
  const count = Math.min(Math.floor(filesz / entrySize), MAX_DYNAMIC_ENTRIES);
  const bytes = source.view(offset, count * entrySize);
  const neededOffsets: number[] = [];
  let strtab: number | undefined;
  let strsz: number | undefined;
  let soname: number | undefined;
  let rpath: number | undefined;
  let runpath: number | undefined;
  for (let at = 0; at + entrySize <= bytes.byteLength; at += entrySize) {
    const tag = r.is64 ? r.s64tag(bytes, at) : r.u32(bytes, at);
    if (tag === DT_NULL) break;
    const value = r.is64 ? r.u64(bytes, at + 8) : r.u32(bytes, at + 4);
    switch (tag) {
      case DT_NEEDED:
        if (neededOffsets.length >= MAX_NEEDED) throw corrupt(shownAs, `more than ${MAX_NEEDED} DT_NEEDED entries`);
        neededOffsets.push(value);
        break;
      case DT_STRTAB: strtab = value; break;
      case DT_STRSZ: strsz = value; break;
      case DT_SONAME: soname = value; break;
      case DT_RPATH: rpath = value; break;
      case DT_RUNPATH: runpath = value; break;
      case DT_FLAGS_1: info.flags1 = value; break;
    }
  }
  const usesStrings = neededOffsets.length > 0 || soname !== undefined || rpath !== undefined || runpath !== undefined;
  if (!usesStrings) return;
  if (strtab === undefined) throw corrupt(shownAs, 'PT_DYNAMIC has strings but no DT_STRTAB');
  const table = locateStringTable(source, phdrs, strtab, strsz, shownAs);
  const needed: string[] = [];
  for (let i = 0; i < neededOffsets.length; i++) needed.push(readString(source, table, neededOffsets[i] as number, 'DT_NEEDED', shownAs));
  info.needed = needed;
  if (soname !== undefined) info.soname = readString(source, table, soname, 'DT_SONAME', shownAs);
  if (rpath !== undefined) info.rpath = readString(source, table, rpath, 'DT_RPATH', shownAs);
  if (runpath !== undefined) info.runpath = readString(source, table, runpath, 'DT_RUNPATH', shownAs);
}

interface StringTable {
  start: number;
  end: number;
}

/** Maps DT_STRTAB (an address) to a file offset through the PT_LOAD segment that holds it. */
function locateStringTable(source: ByteSource, phdrs: ProgramHeaders, address: number, size: number | undefined, shownAs: string): StringTable {
  const hex = () => `0x${address.toString(16)}`;
  let segment = phdrs.find(PT_LOAD);
  while (segment >= 0 && !(address >= phdrs.vaddr(segment) && address < phdrs.vaddr(segment) + phdrs.filesz(segment))) segment = phdrs.find(PT_LOAD, segment + 1);
  if (segment < 0) throw corrupt(shownAs, `DT_STRTAB address ${hex()} is outside every PT_LOAD segment`);
  const start = phdrs.offset(segment) + (address - phdrs.vaddr(segment));
  const segmentEnd = phdrs.offset(segment) + phdrs.filesz(segment);
  const end = size === undefined ? segmentEnd : start + size;
  if (!source.contains(start, end - start)) throw corrupt(shownAs, `truncated string table at ${hex()}`);
  return { start, end };
}

function readString(source: ByteSource, table: StringTable, offset: number, what: string, shownAs: string): string {
  const at = table.start + offset;
  if (at >= table.end) throw corrupt(shownAs, `${what} string offset ${offset} is outside the string table`);
  const text = source.readCString(at, table.end, MAX_PATH_BYTES);
  if (text === undefined) throw corrupt(shownAs, `${what} string at offset ${offset} is not NUL-terminated within ${MAX_PATH_BYTES} bytes`);
  return text;
}

/**
 * Class-aware field reads of a DataView in one byte order (fast even before the JIT warms up; out of
 * range throws RangeError). 64-bit values become numbers: huge ones fail every bounds check. One class
 * per byte order, each passing DataView a constant: V8's optimising compiler then builds one path per
 * read, not both byte orders (the loops over program headers, sections and dynamic entries each took
 * 10-15 ms of compiler time with the order a field).
 */
interface Fields extends FieldReader {
  /** A 64-bit d_tag: tags of interest fit in 32 bits; anything with high bits set is returned as -1. */
  s64tag(view: DataView, at: number): number;
}

class LittleEndianFields implements Fields {
  constructor(readonly is64: boolean) {}

  u16(view: DataView, at: number): number {
    return view.getUint16(at, true);
  }

  u32(view: DataView, at: number): number {
    return view.getUint32(at, true);
  }

  u64(view: DataView, at: number): number {
    const high = view.getUint32(at + 4, true);
    // Most values fit in 32 bits: the sum with a zero high word would be a double (a heap number).
    return high === 0 ? view.getUint32(at, true) : high * 0x1_0000_0000 + view.getUint32(at, true);
  }

  s64tag(view: DataView, at: number): number {
    return view.getUint32(at + 4, true) === 0 ? view.getUint32(at, true) : -1;
  }
}

class BigEndianFields implements Fields {
  constructor(readonly is64: boolean) {}

  u16(view: DataView, at: number): number {
    return view.getUint16(at, false);
  }

  u32(view: DataView, at: number): number {
    return view.getUint32(at, false);
  }

  u64(view: DataView, at: number): number {
    const high = view.getUint32(at, false);
    return high === 0 ? view.getUint32(at + 4, false) : high * 0x1_0000_0000 + view.getUint32(at + 4, false);
  }

  s64tag(view: DataView, at: number): number {
    return view.getUint32(at, false) === 0 ? view.getUint32(at + 4, false) : -1;
  }
}

/** The readers by byte order and class, made once: a file only picks one. */
const FIELD_READERS = {
  little: { 32: new LittleEndianFields(false), 64: new LittleEndianFields(true) },
  big: { 32: new BigEndianFields(false), 64: new BigEndianFields(true) },
} as const;

function corrupt(shownAs: string, what: string, hint = 'the file is damaged or not what it claims to be; reinstall the package that owns it'): MkjailError {
  return new MkjailError(`Can't read ELF file at ${shownAs}: ${what}`, { exitCode: EXIT.badInput, hint });
}

/**
 * The class/byte-order/machine key of the file at host path `file` from its first 20 bytes, or
 * undefined when it has no ELF identification. The loader skips objects of another class or machine
 * before it looks any further, so damage beyond the header of such a file does not matter.
 */
export function peekElfAbiKey(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.alloc(20);
    if (readSync(fd, head, 0, 20, 0) < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
    const elfClass = head[4] === 2 ? 64 : head[4] === 1 ? 32 : undefined;
    const little = head[5] === 1 ? true : head[5] === 2 ? false : undefined;
    if (elfClass === undefined || little === undefined) return undefined;
    return elfAbiKey({ elfClass, littleEndian: little, machine: little ? head.readUInt16LE(18) : head.readUInt16BE(18) });
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

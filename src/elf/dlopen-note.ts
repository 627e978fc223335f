// The ELF dlopen metadata note (owner "FDO", type 0x407c0c0a, usually in a section `.note.dlopen`): a
// JSON array of { soname: [...], feature, description, priority } naming libraries an object loads with
// dlopen(), which DT_NEEDED does not show. Found through the section headers (SHT_NOTE sections, also
// those `objcopy --add-section` adds outside every segment), or through PT_NOTE segments when a file
// has no section headers. Every offset and size is checked; a damaged note is a clean error.
import { EXIT, MkjailError } from '../errors.js';
import type { ByteSource } from './byte-source.js';

export const DLOPEN_NOTE_OWNER = 'FDO';
export const DLOPEN_NOTE_TYPE = 0x407c0c0a;
export const DLOPEN_PRIORITIES = ['required', 'recommended', 'suggested'] as const;
export type DlopenPriority = (typeof DLOPEN_PRIORITIES)[number];

/** One library an object may dlopen(): alternatives in order of preference (the first found is used). */
export interface DlopenNoteEntry {
  sonames: string[];
  priority: DlopenPriority;
  feature?: string;
  description?: string;
}

/** The endian- and class-aware reads read-elf.ts already has. */
export interface FieldReader {
  readonly is64: boolean;
  u16(view: DataView, at: number): number;
  u32(view: DataView, at: number): number;
  u64(view: DataView, at: number): number;
}

/** A note-holding region of the file: offset, size and alignment of its entries. */
export interface NoteRegion {
  offset: number;
  size: number;
  align: number;
}

const SHT_NOTE = 7;
const MAX_SECTIONS = 8192;
const MAX_NOTE_BYTES = 1 << 16;
const MAX_ENTRIES = 1024;

/**
 * The SHT_NOTE sections of the file from its section headers; undefined when it has none, or none the
 * reader can use (the loader never reads section headers: damage there does not stop a program).
 */
export function noteSections(source: ByteSource, r: FieldReader, head: DataView): NoteRegion[] | undefined {
  const shoff = r.is64 ? r.u64(head, 40) : r.u32(head, 32);
  const shentsize = r.u16(head, r.is64 ? 58 : 46);
  const shnum = r.u16(head, r.is64 ? 60 : 48);
  if (shoff === 0 || shnum === 0 || shentsize !== (r.is64 ? 64 : 40)) return undefined;
  if (shnum > MAX_SECTIONS || !source.contains(shoff, shnum * shentsize)) return undefined;
  const table = source.view(shoff, shnum * shentsize);
  const regions: NoteRegion[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = i * shentsize;
    if (r.u32(table, at + 4) !== SHT_NOTE) continue;
    const offset = r.is64 ? r.u64(table, at + 24) : r.u32(table, at + 16);
    const size = r.is64 ? r.u64(table, at + 32) : r.u32(table, at + 20);
    const align = r.is64 ? r.u64(table, at + 48) : r.u32(table, at + 32);
    regions.push({ offset, size, align });
  }
  return regions;
}

/** Every dlopen note entry in `regions`, in file order. */
export function readDlopenNotes(source: ByteSource, r: FieldReader, regions: NoteRegion[], shownAs: string): DlopenNoteEntry[] {
  const entries: DlopenNoteEntry[] = [];
  for (let i = 0; i < regions.length; i++) {
    const region = regions[i] as NoteRegion;
    if (region.size === 0 || region.size > MAX_NOTE_BYTES || !source.contains(region.offset, region.size)) continue;
    // The view is valid until the source's next read: the region's notes are decoded before that.
    const found = dlopenDescriptors(source.view(region.offset, region.size), r, region.align === 8 ? 8 : 4);
    if (found === undefined) continue;
    for (const json of found) entries.push(...parseEntries(json, shownAs));
    if (entries.length > MAX_ENTRIES) throw bad(shownAs, `more than ${MAX_ENTRIES} .note.dlopen entries`);
  }
  return entries;
}

/** The descriptors (JSON text) of the FDO dlopen notes in one note region; undefined when it has none (most). */
function dlopenDescriptors(bytes: DataView, r: FieldReader, align: number): string[] | undefined {
  let found: string[] | undefined;
  for (let at = 0; at + 12 <= bytes.byteLength; ) {
    const namesz = r.u32(bytes, at);
    const descsz = r.u32(bytes, at + 4);
    const type = r.u32(bytes, at + 8);
    const nameAt = at + 12;
    const descAt = nameAt + padded(namesz, align);
    if (descAt + descsz > bytes.byteLength) break;
    // The owner's name is decoded only for the dlopen type: most notes are GNU's (build id, ABI tag).
    if (type === DLOPEN_NOTE_TYPE && text(bytes, nameAt, namesz) === DLOPEN_NOTE_OWNER) (found ??= []).push(text(bytes, descAt, descsz));
    at = descAt + padded(descsz, align);
  }
  return found;
}

/** `n` rounded up to a multiple of `align`. */
function padded(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/** Bytes as UTF-8, up to the first NUL. */
function text(bytes: DataView, at: number, length: number): string {
  const raw = new Uint8Array(bytes.buffer, bytes.byteOffset + at, length);
  const nul = raw.indexOf(0);
  return Buffer.from(nul === -1 ? raw : raw.subarray(0, nul)).toString('utf8');
}

function parseEntries(json: string, shownAs: string): DlopenNoteEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw bad(shownAs, '.note.dlopen is not JSON');
  }
  if (!Array.isArray(data)) throw bad(shownAs, '.note.dlopen is not a JSON array');
  return data.map((item, index) => parseEntry(item, `.note.dlopen entry ${index}`, shownAs));
}

function parseEntry(item: unknown, where: string, shownAs: string): DlopenNoteEntry {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw bad(shownAs, `${where} is not an object`);
  const record = item as Record<string, unknown>;
  const sonames = record.soname;
  if (!Array.isArray(sonames) || sonames.length === 0 || !sonames.every((s) => typeof s === 'string' && s.length > 0 && !s.includes('\0'))) {
    throw bad(shownAs, `${where}: soname must be a non-empty array of library names`);
  }
  const priority = record.priority ?? 'recommended';
  if (!DLOPEN_PRIORITIES.includes(priority as DlopenPriority)) throw bad(shownAs, `${where}: priority must be one of ${DLOPEN_PRIORITIES.join(', ')}`);
  const entry: DlopenNoteEntry = { sonames: sonames as string[], priority: priority as DlopenPriority };
  if (typeof record.feature === 'string') entry.feature = record.feature;
  if (typeof record.description === 'string') entry.description = record.description;
  return entry;
}

function bad(shownAs: string, what: string): MkjailError {
  return new MkjailError(`Can't read ELF file at ${shownAs}: ${what}`, {
    exitCode: EXIT.badInput,
    hint: 'the file is damaged or its .note.dlopen is malformed; reinstall the package that owns it',
  });
}

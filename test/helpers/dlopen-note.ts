// Gives an ELF file a `.note.dlopen` (owner FDO, type 0x407c0c0a, a JSON array) with objcopy, as the
// ELF dlopen metadata specification lays it out: name and descriptor each padded to 4 bytes.
import { writeFileSync } from 'node:fs';
import { execaSync } from 'execa';

export interface NoteEntry {
  soname: string[];
  priority?: string;
  feature?: string;
  description?: string;
}

/** The note's bytes for `json` (text written as is, so a test can write malformed JSON too). */
export function dlopenNoteBytes(json: string): Buffer {
  const pad = (bytes: Buffer) => Buffer.concat([bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]);
  const name = Buffer.from('FDO\0');
  const desc = Buffer.from(`${json}\0`);
  const header = Buffer.alloc(12);
  header.writeUInt32LE(name.length, 0);
  header.writeUInt32LE(desc.length, 4);
  header.writeUInt32LE(0x407c0c0a, 8);
  return Buffer.concat([header, pad(name), pad(desc)]);
}

/** Adds a `.note.dlopen` section holding `entries` (or raw JSON text) to `file`, in place. */
export function addDlopenNote(file: string, entries: NoteEntry[] | string): void {
  const note = `${file}.note`;
  writeFileSync(note, dlopenNoteBytes(typeof entries === 'string' ? entries : JSON.stringify(entries)));
  execaSync('objcopy', ['--add-section', `.note.dlopen=${note}`, file]);
}

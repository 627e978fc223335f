// Writes a planned jail as a reproducible tar: entries in path order, numeric owners and no names, one
// fixed mtime (SOURCE_DATE_EPOCH or 0), /dev/null as a character device. Needs no privileges: owners
// and devices live in the headers. Long paths use pax extended headers.
import { createHash } from 'node:crypto';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { EXIT, MkjailError, errnoCode } from '../errors.js';
import type { Plan } from '../plan/build-plan.js';
import type { ManifestEntry } from '../plan/manifest.js';
import { fileBytes } from './write-tree.js';

const BLOCK = 512;
/** GNU tar's default record size (blocking factor 20): archives are padded to a multiple of it. */
const RECORD = 20 * BLOCK;

/** The mtime of every entry: SOURCE_DATE_EPOCH when set (a malformed value is an error), else 0. */
export function archiveMtime(env: NodeJS.ProcessEnv): number {
  const value = env.SOURCE_DATE_EPOCH;
  if (value === undefined || value === '') return 0;
  if (!/^[0-9]{1,11}$/.test(value)) {
    throw new MkjailError(`Can't use SOURCE_DATE_EPOCH at the environment: '${value}' is not a number of seconds since 1970`, {
      hint: 'set it to a whole number such as 1700000000, or unset it',
    });
  }
  return Number(value);
}

/**
 * Writes the tar of `plan` to a new file `file`. Whatever is at that name (a leftover of a killed build,
 * or a symlink someone planted in a directory others can write) is unlinked, never followed, and the
 * file is created exclusively (O_CREAT|O_EXCL: fails rather than follow a symlink recreated meanwhile).
 * It is created 0600: it holds the jail's private files (host keys) whatever their modes in the headers.
 */
export function writeTar(plan: Plan, file: string, mtime: number): void {
  unlinkIfExists(file);
  const fd = openSync(file, 'wx', 0o600);
  try {
    emitTar(plan, mtime, (data) => writeSync(fd, data));
  } finally {
    closeSync(fd);
  }
}

function unlinkIfExists(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}

/** The sha256 of the tar `writeTar` would write, computed without writing anything. */
export function tarSha256(plan: Plan, mtime: number): string {
  const hash = createHash('sha256');
  emitTar(plan, mtime, (data) => hash.update(data));
  return hash.digest('hex');
}

function emitTar(plan: Plan, mtime: number, write: (data: Buffer) => void): void {
  let written = 0;
  const emit = (data: Buffer) => {
    write(data);
    written += data.length;
  };
  for (const entry of plan.manifest.entries) {
    const data = entry.type === 'file' ? fileBytes(entry.path, entry.sha256, plan.contents.get(entry.path)) : undefined;
    for (const block of entryBlocks(entry, mtime, data)) emit(block);
  }
  emit(Buffer.alloc(2 * BLOCK));
  const padding = (RECORD - (written % RECORD)) % RECORD;
  if (padding > 0) emit(Buffer.alloc(padding));
}

function entryBlocks(entry: ManifestEntry, mtime: number, data: Buffer | undefined): Buffer[] {
  const name = archiveName(entry);
  const linkname = entry.type === 'symlink' ? entry.target : '';
  const pax: Record<string, string> = {};
  const split = splitName(name);
  if (!split) pax.path = name;
  if (Buffer.byteLength(linkname) > 100) pax.linkpath = linkname;
  const blocks: Buffer[] = [];
  if (Object.keys(pax).length > 0) {
    const body = paxBody(pax);
    blocks.push(header({ name: 'PaxHeader', prefix: '', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime, type: 'x', linkname: '', major: 0, minor: 0 }));
    blocks.push(padded(body));
  }
  const { prefix, base } = split ?? { prefix: '', base: name.slice(0, 100) };
  blocks.push(
    header({
      name: base,
      prefix,
      mode: Number.parseInt(entry.mode, 8),
      uid: entry.uid,
      gid: entry.gid,
      size: data?.length ?? 0,
      mtime,
      type: typeFlag(entry),
      linkname: Buffer.byteLength(linkname) > 100 ? linkname.slice(0, 100) : linkname,
      major: entry.type === 'chardev' ? entry.major : 0,
      minor: entry.type === 'chardev' ? entry.minor : 0,
    }),
  );
  if (data && data.length > 0) blocks.push(padded(data));
  return blocks;
}

/** "./" for the jail root, "./etc/" for a directory, "./etc/passwd" otherwise (as GNU tar names them). */
function archiveName(entry: ManifestEntry): string {
  if (entry.path === '/') return './';
  return entry.type === 'dir' ? `.${entry.path}/` : `.${entry.path}`;
}

function typeFlag(entry: ManifestEntry): string {
  switch (entry.type) {
    case 'file':
      return '0';
    case 'symlink':
      return '2';
    case 'chardev':
      return '3';
    case 'dir':
      return '5';
    default: {
      const never: never = entry;
      return never;
    }
  }
}

/** ustar's name/prefix split, or undefined when the name needs a pax header. */
function splitName(name: string): { prefix: string; base: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', base: name };
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/' || i === name.length - 1) continue;
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100 && base.length > 0) return { prefix, base };
  }
  return undefined;
}

function paxBody(records: Record<string, string>): Buffer {
  let text = '';
  for (const [key, value] of Object.entries(records)) {
    const rest = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(rest) + 1;
    while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
    text += `${length}${rest}`;
  }
  return Buffer.from(text, 'utf8');
}

interface HeaderFields {
  name: string;
  prefix: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: string;
  linkname: string;
  major: number;
  minor: number;
}

function header(f: HeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(f.name, 0, 100, 'utf8');
  octal(block, 100, 8, f.mode);
  octal(block, 108, 8, f.uid);
  octal(block, 116, 8, f.gid);
  octal(block, 124, 12, f.size);
  octal(block, 136, 12, f.mtime);
  block.write('        ', 148, 8, 'ascii');
  block.write(f.type, 156, 1, 'ascii');
  block.write(f.linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'ascii');
  octal(block, 329, 8, f.major);
  octal(block, 337, 8, f.minor);
  block.write(f.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

function octal(block: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1) throw new MkjailError(`Can't write tar header: ${value} does not fit ${width - 1} octal digits`, { exitCode: EXIT.internal });
  block.write(`${digits}\u0000`, offset, width, 'ascii');
}

function padded(data: Buffer): Buffer {
  const padding = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return padding === 0 ? data : Buffer.concat([data, Buffer.alloc(padding)]);
}

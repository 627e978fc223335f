// Mount points as this process sees them, from /proc/self/mountinfo (proc(5)): path, type and source.
import { readFileSync } from 'node:fs';
import { EXIT, MkjailError, errnoWords } from '../errors.js';

export interface MountPoint {
  /** Absolute host path where the file system is mounted. */
  path: string;
  fsType: string;
  source: string;
}

export const MOUNTINFO = '/proc/self/mountinfo';

export function readMounts(file: string = MOUNTINFO): MountPoint[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MkjailError(`Can't read mount table at ${file}: ${errnoWords(error)}`, {
      exitCode: EXIT.environment,
      hint: 'mount /proc on the host (mount -t proc proc /proc)',
    });
  }
  return text.split('\n').filter((line) => line !== '').map(parseMountLine);
}

/** One mountinfo line: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue". */
export function parseMountLine(line: string): MountPoint {
  const [left = '', right = ''] = line.split(' - ');
  const fields = left.split(' ');
  const [fsType = '', source = ''] = right.split(' ');
  return { path: unescapeMountField(fields[4] ?? ''), fsType, source: unescapeMountField(source) };
}

/** The kernel writes space, tab, newline and backslash as \040, \011, \012, \134. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

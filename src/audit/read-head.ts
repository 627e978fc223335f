// Reads the first bytes of a regular file in the jail without following a symlink (O_NOFOLLOW).
import { errnoCode } from '../errors.js';
import { readStartNoFollow } from '../fs/read-tree.js';

/** Up to `length` bytes; empty when the file is gone or was replaced by a symlink since the walk. */
export function readHead(hostFile: string, length: number): Buffer {
  try {
    return readStartNoFollow(hostFile, length);
  } catch (error) {
    if (['ENOENT', 'ELOOP', 'ENOTDIR'].includes(errnoCode(error) ?? '')) return Buffer.alloc(0);
    throw error;
  }
}

/** The interpreter path of a `#!` line ("#!/bin/sh -e" -> "/bin/sh"), or undefined. */
export function shebangInterpreter(head: Buffer): string | undefined {
  if (head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const line = head.toString('latin1', 2).split('\n')[0] ?? '';
  const interpreter = line.trim().split(/[ \t]/)[0];
  return interpreter ? interpreter : undefined;
}

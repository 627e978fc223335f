// Reads the first bytes of a regular file in the jail without following a symlink (O_NOFOLLOW).
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { errnoCode } from '../errors.js';

/** Up to `length` bytes; empty when the file is gone or was replaced by a symlink since the walk. */
export function readHead(hostFile: string, length: number): Buffer {
  let fd: number;
  try {
    fd = openSync(hostFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if (['ENOENT', 'ELOOP', 'ENOTDIR'].includes(errnoCode(error) ?? '')) return Buffer.alloc(0);
    throw error;
  }
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** The interpreter path of a `#!` line ("#!/bin/sh -e" -> "/bin/sh"), or undefined. */
export function shebangInterpreter(head: Buffer): string | undefined {
  if (head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const line = head.toString('latin1', 2).split('\n')[0] ?? '';
  const interpreter = line.trim().split(/[ \t]/)[0];
  return interpreter ? interpreter : undefined;
}

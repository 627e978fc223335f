// Makes a rename into place survive a crash or power loss, not only a killed process: everything
// written so far reaches the disk before the rename (syncfs, through coreutils `sync --file-system`,
// since Node has no binding), and the directory holding the new name is fsynced after it.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, fsyncSync, openSync } from 'node:fs';
import { EXIT, MkjailError, commandWords, errnoCode, errnoWords } from '../errors.js';
import { timed } from '../timings.js';

/** coreutils sync where its package puts it (/bin, also with a merged /usr), never looked up in PATH. */
export const SYNC = '/bin/sync';

/** Flushes the file system holding `dir`, runs `rename` (one or more renames inside `dir`), then fsyncs `dir`. */
export function renameDurably(dir: string, rename: () => void): void {
  timed('sync', () => flushFileSystem(dir));
  rename();
  syncDirectory(dir);
}

function flushFileSystem(path: string): void {
  try {
    execFileSync(SYNC, ['--file-system', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new MkjailError(`Can't flush the file system holding ${path} to disk: ${commandWords(error)}`, {
      exitCode: EXIT.environment,
      hint: `check that ${SYNC} (coreutils) is installed and that the disk is healthy`,
    });
  }
}

/**
 * fsyncs the directory `dir`, so that the names in it (a rename, a new entry) are on disk. A file system
 * that can't fsync a directory (EINVAL, ENOTSUP: some FUSE and network ones) is left as it is; any other
 * failure is an error (exit 3) that says the change is in place but may not be on disk yet.
 */
export function syncDirectory(dir: string): void {
  timed('sync', () => fsyncDirectory(dir));
}

function fsyncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EINVAL' || code === 'ENOTSUP') return;
    throw new MkjailError(`Can't sync directory ${dir} to disk: ${errnoWords(error)}; what was renamed into it is in place but may not survive a crash`, {
      exitCode: EXIT.environment,
      hint: 'check the disk (dmesg), then build again',
    });
  }
}

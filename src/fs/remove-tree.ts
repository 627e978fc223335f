// Removes a directory tree that a service may still be changing (an old jail, a killed build's staging):
// with GNU rm, whose fts walk opens each directory relative to its parent's descriptor and never follows
// a symlink, so a directory swapped for a symlink mid-removal can't lead it outside the tree. Node's
// recursive rmSync re-resolves every path name and can be led to delete host files that way.
import { execFileSync } from 'node:child_process';
import { EXIT, MkjailError, commandWords } from '../errors.js';
import { lstatOrUndefined } from './path-in-root.js';

/** Removes `path` and everything below it on its file system; nothing (and no rm started) when it does not exist. */
export function removeTree(path: string): void {
  if (lstatOrUndefined(path) === undefined) return;
  try {
    execFileSync('rm', ['-rf', '--one-file-system', '--', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new MkjailError(`Can't remove tree at ${path}: rm failed (${commandWords(error).split('\n')[0]})`, {
      exitCode: EXIT.environment,
      hint: 'unmount what is mounted inside it and stop the service using it, then build again (the next build removes it)',
    });
  }
}

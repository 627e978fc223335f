// The library closure of a set of ELF objects, resolved as glibc's loader would. (Placeholder.)
import { EXIT, MkjailError } from '../errors.js';
import type { Closure, ResolveOptions } from './types.js';

/**
 * Resolves `files` (absolute paths inside options.root) and everything they need. Synchronous.
 * Throws MkjailError (exit 2) naming the file for a non-ELF, truncated or corrupt input.
 */
export function resolveClosure(files: string[], options: ResolveOptions = {}): Closure {
  void files;
  void options;
  throw new MkjailError('resolveClosure is not implemented yet', { exitCode: EXIT.internal });
}

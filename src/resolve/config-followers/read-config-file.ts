// Reads one configuration file of a follower inside the root: the file a recipe names, or one an include
// names. A missing file, a non-file or an unreadable one is a recipe input error in one line, naming
// the file, its includer and the fix.
import { readFileSync } from 'node:fs';
import { EXIT, HOST_READ_HINT, MkjailError, errnoWords, isPermissionDenied } from '../../errors.js';
import { hostPath, resolveInRoot } from '../../fs/path-in-root.js';

export interface ConfigFileWords {
  /** The format as the message names it: `named.conf`, `nginx.conf`, `unbound.conf`. */
  format: string;
  /** The fix for a path that is missing or not a regular file. */
  missingHint: string;
  /** The fix for a file that exists but can't be read. */
  unreadableHint: string;
}

/** The text of `path` inside `root`; `by` is the file that included it, if any. */
export function readConfigFile(root: string, path: string, by: string | undefined, words: ConfigFileWords): string {
  const found = resolveInRoot(root, path);
  const where = by ? ` (included by ${by})` : '';
  if (!found || !found.stats.isFile()) {
    throw new MkjailError(`Can't read ${words.format} at ${path}: ${found ? 'not a regular file' : 'no such file'}${where}`, { exitCode: EXIT.badInput, hint: words.missingHint });
  }
  try {
    return readFileSync(hostPath(root, found.real), 'utf8');
  } catch (error) {
    // Permission denied is the environment's (exit 3), as for every host file the build may not read.
    const denied = isPermissionDenied(error);
    throw new MkjailError(`Can't read ${words.format} at ${path}: ${errnoWords(error)}${where}`, {
      exitCode: denied ? EXIT.environment : EXIT.badInput,
      hint: denied ? HOST_READ_HINT : words.unreadableHint,
    });
  }
}

// The files a zone file pulls in with `$INCLUDE`, as named's master-file loader reads them: a name that
// is not absolute is opened as given, so relative to named's working directory (options.directory).
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { hostPath, normalizeRootPath, resolveInRoot } from '../../fs/path-in-root.js';

export interface ZoneInclude {
  path: string;
  /** The zone file (or included file) whose `$INCLUDE` names it. */
  by: string;
}

/** `$INCLUDE` files nested deeper than this are not followed further (named refuses loops the same way). */
const MAX_INCLUDE_DEPTH = 20;

/**
 * Every file `$INCLUDE`d by the zone file at `path` (absolute, inside `root`), nested ones too, in the
 * order named reads them. A file missing on the host is listed all the same (the plan reports it); one
 * already on the way is not read again.
 */
export function zoneFileIncludes(root: string, path: string, cwd: string): ZoneInclude[] {
  const found: ZoneInclude[] = [];
  const walk = (file: string, chain: string[]): void => {
    if (chain.length > MAX_INCLUDE_DEPTH || chain.includes(file)) return;
    const text = readText(root, file);
    if (text === undefined) return;
    for (const name of includedNames(text)) {
      const included = normalizeRootPath(name.startsWith('/') ? name : posix.join(cwd, name));
      found.push({ path: included, by: file });
      walk(included, [...chain, file]);
    }
  };
  walk(path, []);
  return found;
}

function readText(root: string, path: string): string | undefined {
  const resolved = resolveInRoot(root, path);
  if (!resolved?.stats.isFile()) return undefined;
  return readFileSync(hostPath(root, resolved.real), 'latin1');
}

/** The file names of the `$INCLUDE` lines of a master file (quoted or bare; `\X` is X in a quoted one). */
export function includedNames(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/^\$INCLUDE[ \t]+("(?:\\.|[^"\\\n])*"|[^\s;]+)/gim)) {
    const word = match[1] as string;
    names.push(word.startsWith('"') ? word.slice(1, -1).replace(/\\(.)/g, '$1') : word);
  }
  return names;
}

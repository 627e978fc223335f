// Search-path strings as the loader reads them: DT_RPATH/DT_RUNPATH split on ':', dynamic string
// tokens ($ORIGIN, $LIB, $PLATFORM, braced or not) expanded; any other `$NAME` is kept as written
// (glibc elf/dl-load.c _dl_dst_substitute).

export interface TokenValues {
  /**
   * Directory of the object (as the loader opened it; the real directory for the executable), or
   * undefined when the loader cannot tell it: an element using $ORIGIN is then discarded.
   */
  origin: string | undefined;
  lib: string;
  platform: string;
}

const TOKEN = /\$(?:\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)(?![A-Za-z0-9_]))/g;

/** `text` with every known dynamic string token replaced. */
export function expandTokens(text: string, values: TokenValues & { origin: string }): string {
  if (!text.includes('$')) return text;
  return text.replace(TOKEN, (match: string, braced: string | undefined, bare: string | undefined) => {
    switch (braced ?? bare) {
      case 'ORIGIN':
        return values.origin;
      case 'LIB':
        return values.lib;
      case 'PLATFORM':
        return values.platform;
      default:
        return match;
    }
  });
}

/** The limits of secure mode (a setuid or setgid program): glibc _dl_dst_substitute. */
export interface SecureMode {
  /** The object is the program itself: an expansion of $ORIGIN must then lie in a trusted directory. */
  mainProgram: boolean;
  /** The loader's system directories. */
  trustedDirs: readonly string[];
}

/**
 * One path element with its tokens expanded; undefined when the loader discards it: it uses $ORIGIN
 * and the origin is unknown (glibc _dl_dst_substitute drops an element whose token has no value). In secure mode,
 * $ORIGIN is only allowed as the first thing of the element (followed by "/" or nothing), and for the
 * program itself only when the result lies in a trusted directory.
 */
export function expandElement(text: string, values: TokenValues, secure?: SecureMode): string | undefined {
  if (!text.includes('$')) return text;
  const origins = [...text.matchAll(TOKEN)].filter((m) => (m[1] ?? m[2]) === 'ORIGIN');
  const { origin } = values;
  if (origins.length === 0) return expandTokens(text, { ...values, origin: '' });
  if (origin === undefined) return undefined;
  if (!secure) return expandTokens(text, { ...values, origin });
  if (origins.length > 1 || !/^\$(ORIGIN|\{ORIGIN\})(\/|$)/.test(text)) return undefined;
  const expanded = expandTokens(text, { ...values, origin });
  return !secure.mainProgram || isTrusted(expanded, secure.trustedDirs) ? expanded : undefined;
}

/** glibc is_trusted_path_normalize: the path, with ".." cut as text, lies in a trusted directory. */
export function isTrusted(path: string, trustedDirs: readonly string[]): boolean {
  const parts: string[] = [];
  for (const name of path.split('/')) {
    if (name === '' || name === '.') continue;
    if (name === '..') parts.pop();
    else parts.push(name);
  }
  const normal = `/${parts.join('/')}/`;
  return trustedDirs.some((dir) => normal.startsWith(dir.endsWith('/') ? dir : `${dir}/`));
}

/**
 * The directories of a DT_RPATH/DT_RUNPATH value, expanded and cleaned (see cleanPath), unique, in
 * order. Relative elements (and the empty one, which means ".") are taken relative to `/`.
 */
export function searchDirs(value: string, values: TokenValues, secure?: SecureMode): string[] {
  const dirs: string[] = [];
  for (const element of value.split(':')) {
    const expanded = expandElement(element, values, secure);
    if (expanded === undefined) continue;
    const dir = cleanPath(expanded);
    if (!dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

/**
 * `path` made absolute without empty or "." components. ".." is kept: the kernel resolves it after
 * following the symlink before it, so only a lookup inside the root can remove it correctly.
 */
export function cleanPath(path: string): string {
  // Nearly every path is clean already (absolute, no "//", no "." component, no trailing "/").
  if (path.startsWith('/') && !NOT_CLEAN.test(path)) return path;
  return `/${path
    .split('/')
    .filter((name) => name !== '' && name !== '.')
    .join('/')}`;
}

/** What a clean path has none of: an empty or "." component, or a trailing slash (but for "/" itself). */
const NOT_CLEAN = /\/\/|\/\.(\/|$)|.\/$/;
const DOT_DOT = /(^|\/)\.\.(\/|$)/;

/** True when `path` has a ".." component. */
export function hasDotDot(path: string): boolean {
  return DOT_DOT.test(path);
}

// Search-path strings as the loader reads them: DT_RPATH/DT_RUNPATH split on ':', dynamic string
// tokens ($ORIGIN, $LIB, $PLATFORM, braced or not) expanded; any other `$NAME` is kept as written
// (glibc elf/dl-load.c _dl_dst_substitute).

export interface TokenValues {
  /** Directory of the object (as the loader opened it; the real directory for the executable). */
  origin: string;
  lib: string;
  platform: string;
}

const TOKEN = /\$(?:\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)(?![A-Za-z0-9_]))/g;

/** `text` with every known dynamic string token replaced. */
export function expandTokens(text: string, values: TokenValues): string {
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

/**
 * The directories of a DT_RPATH/DT_RUNPATH value, expanded and cleaned (see cleanPath), unique, in
 * order. Relative elements (and the empty one, which means ".") are taken relative to `/`.
 */
export function searchDirs(value: string, values: TokenValues): string[] {
  const dirs: string[] = [];
  for (const element of value.split(':')) {
    const dir = cleanPath(expandTokens(element, values));
    if (!dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

/**
 * `path` made absolute without empty or "." components. ".." is kept: the kernel resolves it after
 * following the symlink before it, so only a lookup inside the root can remove it correctly.
 */
export function cleanPath(path: string): string {
  return `/${path
    .split('/')
    .filter((name) => name !== '' && name !== '.')
    .join('/')}`;
}

/** True when `path` has a ".." component. */
export function hasDotDot(path: string): boolean {
  return path.split('/').includes('..');
}

// The resolver's results: which files a set of ELF objects needs at load time, and why each one.
import type { DlopenPriority } from '../elf/dlopen-note.js';
import type { SymlinkStep } from '../fs/path-in-root.js';
import type { SharedLookups } from './root-files.js';

/** How the loader found a library: the ld.so(8) search step that matched. */
export const VIAS = ['rpath', 'runpath', 'ld.so.cache', 'default', 'slash'] as const;
export type Via = (typeof VIAS)[number];

/** One DT_NEEDED entry of one object, and what it resolved to. */
export interface NeededEdge {
  /** The DT_NEEDED string as written in the object. */
  soname: string;
  /** The object that needs it (its path as the loader opened it). */
  by: string;
  /** The path the loader would open, or undefined when it is missing. */
  path: string | undefined;
  via: Via | undefined;
  /** Present when the need comes from the object's `.note.dlopen`, not from DT_NEEDED. */
  dlopen?: DlopenNeed;
}

/** A library named in a `.note.dlopen`: how much the object needs it, and for what. */
export interface DlopenNeed {
  priority: DlopenPriority;
  feature?: string;
  /** Every name the note allows, in order of preference (`soname` is the one used, or the first). */
  sonames: string[];
}

export type ClosureObjectKind = 'input' | 'interpreter' | 'library';

export interface ClosureObject {
  /** The path as the loader would open it (not canonicalised), absolute inside the root. */
  path: string;
  kind: ClosureObjectKind;
  /** The path with every symlink resolved, absolute inside the root. */
  real: string;
  /** Every symlink crossed from `path` to `real` (directory links such as /lib -> usr/lib included). */
  links: SymlinkStep[];
  /** For an input: its PT_INTERP as written (absent for static binaries and libraries). */
  interpreter?: string;
}

export interface MissingLibrary {
  /** The DT_NEEDED string, or the PT_INTERP path for a missing interpreter. */
  soname: string;
  neededBy: string;
  /** Present for a `required` library of a `.note.dlopen` (other priorities are never missing). */
  dlopen?: DlopenNeed;
}

export interface Closure {
  /** Each input, its interpreter, then every library of the closure, unique, in a stable order. */
  objects: ClosureObject[];
  edges: NeededEdge[];
  missing: MissingLibrary[];
  /**
   * Present when some library was found through ld.so.cache that the default directories would not
   * find at the same path: only then can a resolve without the cache step come out different.
   */
  cacheDecides?: true;
}

export interface ResolveOptions {
  /** Resolve as if this directory were `/`; nothing outside it is read. Default `/`. */
  root?: string;
  /**
   * Whether the loader can tell the directory of the program (an input with PT_INTERP) for `$ORIGIN`.
   * glibc reads it from /proc/self/exe (elf/dl-origin.c _dl_get_origin); where /proc is absent, as in a
   * jail, every RPATH/RUNPATH element and DT_NEEDED name of the program that uses `$ORIGIN` is
   * discarded (`unknown`), also where its RPATH serves its libraries. A library's own `$ORIGIN` comes
   * from its path and always works. Default `known`.
   */
  programOrigin?: ProgramOrigin;
  /**
   * Where the ld.so.cache step looks. `root` (default): the root's /etc/ld.so.cache, or, when it has
   * none, what `ldconfig -r ROOT` would build from its ld.so.conf. `loader`: what the loader reads,
   * the root's /etc/ld.so.cache or nothing. `none`: no cache step (a jail built without a cache).
   */
  ldSoCache?: LdSoCacheSource;
  /**
   * Whether a setuid/setgid program's mode bits count. `honoured` (default): it starts in secure mode,
   * as on the host (`$ORIGIN` of the program only into trusted directories). `dropped`: as its copy in
   * a jail runs, which carries no setuid or setgid bit, so the loader is not in secure mode.
   */
  setIdBits?: 'honoured' | 'dropped';
  /**
   * File lookups and parsed ELF to share with other resolves of the same moment (a build resolves each
   * binary two or three ways): pass one `new SharedLookups()` to each. Default: this resolve's own.
   */
  shared?: SharedLookups;
}

export const LD_SO_CACHE_SOURCES = ['root', 'loader', 'none'] as const;
export type LdSoCacheSource = (typeof LD_SO_CACHE_SOURCES)[number];

export const PROGRAM_ORIGINS = ['known', 'unknown'] as const;
export type ProgramOrigin = (typeof PROGRAM_ORIGINS)[number];

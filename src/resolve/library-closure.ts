// The library closure of a set of ELF objects, resolved as glibc's loader (elf/dl-load.c
// _dl_map_object, elf/dl-deps.c) would: breadth-first, already-loaded names first, then DT_RPATH of
// the object and its loaders, DT_RUNPATH, ld.so.cache, default directories; nothing is ever run.
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { EXIT, MkjailError } from '../errors.js';
import { DF_1_NODEFLIB, elfAbiKey, type ElfInfo, peekElfAbiKey } from '../elf/read-elf.js';
import { normalizeRootPath } from '../fs/path-in-root.js';
import { CacheLookup } from './cache-lookup.js';
import { hostCpuFacts } from './hwcaps.js';
import { type LoaderAbi, loaderAbiFor } from './loader-abi.js';
import { type FoundFile, RootFiles, type SharedLookups } from './root-files.js';
import { cleanPath, expandElement, hasDotDot, searchDirs, type SecureMode, type TokenValues } from './search-path.js';
import type { Closure, ClosureObject, ClosureObjectKind, DlopenNeed, LdSoCacheSource, MissingLibrary, NeededEdge, ProgramOrigin, ResolveOptions, Via } from './types.js';

/** Libraries the loader maps into every dynamic program, before the program's own needs. */
const PRELOAD_PATH = '/etc/ld.so.preload';
/** The usual 32-bit loaders, consulted for a 32-bit library given alone (it has no PT_INTERP). */
const I386_LOADER = '/lib/ld-linux.so.2';
const X32_LOADER = '/libx32/ld-linux-x32.so.2';
const EM_X86_64 = 62;
const MAX_PRELOAD_BYTES = 1 << 20;

/** An object mapped into one (imagined) process. */
interface LoadedObject {
  path: string;
  info: ElfInfo;
  /** The object whose DT_NEEDED caused it to be loaded (glibc l_loader). */
  loader: LoadedObject | undefined;
  /** Its directory for $ORIGIN; undefined for a program whose directory the loader cannot tell. */
  origin: string | undefined;
  via: Via;
  /** Where its needs are searched, computed on first use (its loader chain never changes). */
  context?: SearchContext;
}

interface SearchContext {
  lists: SearchList[];
  nodeflib: boolean;
  /** Everything the search depends on but the name, as a memo key. */
  key: string;
}

interface Found {
  path: string;
  via: Via;
  /** Found through the cache where the default directories would not find the same path (see Closure.cacheDecides). */
  cacheDecides?: true;
}

interface SearchList {
  dirs: string[];
  via: Via;
}

/** What loading one program added to the closure, in order, to be replayed for a program of the same shape. */
interface ProcessRecord {
  main: string;
  ops: RecordedOp[];
  /** False when something resolved to the program itself (its path would not carry over). */
  replayable: boolean;
  cacheDecides: boolean;
  /** The ops that name the program itself (its own edges and missing names), picked at the first repeat. */
  ownOps?: RecordedOp[];
}

type RecordedOp =
  | { kind: 'object'; path: string; objectKind: ClosureObjectKind }
  | { kind: 'edge'; edge: NeededEdge }
  | { kind: 'missing'; missing: MissingLibrary };

/**
 * What resolving learns that holds for every resolve of the same kind (root, program origin, cache
 * source, set-id rule) sharing one set of lookups: a plan of 200 programs parses the cache, searches
 * libc and maps a program of a known shape once, not once a program.
 */
interface ResolveMemo {
  cache: CacheLookup;
  searches: Map<string, Found | null>;
  dirLists: Map<string, string[]>;
  abis: Map<string, LoaderAbi>;
  /** Processes by program shape (see shapeOf). */
  shapes: Map<string, ProcessRecord>;
  preloads?: string[];
}

const sharedMemos = new WeakMap<RootFiles, Map<string, ResolveMemo>>();

/**
 * An edge, with `dlopen` only when the need comes from a `.note.dlopen`. Built as one literal or the
 * other (not by spreading a tag): a spread copies through V8's runtime, once for every edge.
 */
function edgeOf(soname: string, by: string, path: string | undefined, via: Via | undefined, dlopen: DlopenNeed | undefined): NeededEdge {
  return dlopen ? { soname, by, path, via, dlopen } : { soname, by, path, via };
}

function missingOf(soname: string, neededBy: string, dlopen: DlopenNeed | undefined): MissingLibrary {
  return dlopen ? { soname, neededBy, dlopen } : { soname, neededBy };
}

function memoFor(files: RootFiles, kind: string, ldSoCache: LdSoCacheSource): ResolveMemo {
  let byKind = sharedMemos.get(files);
  if (!byKind) {
    byKind = new Map();
    sharedMemos.set(files, byKind);
  }
  let memo = byKind.get(kind);
  if (!memo) {
    memo = { cache: new CacheLookup(files, ldSoCache), searches: new Map(), dirLists: new Map(), abis: new Map(), shapes: new Map() };
    byKind.set(kind, memo);
  }
  return memo;
}

/** One process: its main object, its loader's rules, and what is mapped so far. */
interface Process {
  main: LoadedObject;
  abi: LoaderAbi;
  loaded: LoadedObject[];
  byId: Map<string, LoadedObject>;
  /** Every name of every loaded object (glibc _dl_name_match_p), first mapped wins. */
  byName: Map<string, LoadedObject>;
  /** Names already not found: the loader stops there, and `ldd` lists them once and never retries. */
  notFound: Set<string>;
  /** A setuid/setgid program: the loader runs in secure mode and restricts $ORIGIN. */
  secure: boolean;
}

/**
 * Resolves `files` (absolute paths inside options.root) and everything they need. Synchronous.
 * Throws MkjailError (exit 2) naming the file for a missing, non-ELF, truncated or corrupt input or
 * library; a library that can't be found is recorded in `missing`.
 */
export function resolveClosure(files: string[], options: ResolveOptions = {}): Closure {
  const builder = new ClosureBuilder(options.root ?? '/', options.programOrigin ?? 'known', options.ldSoCache ?? 'root', options.shared, options.setIdBits !== 'dropped');
  for (const file of files) builder.addInput(file);
  return builder.result();
}

class ClosureBuilder {
  private readonly files: RootFiles;
  private readonly memo: ResolveMemo;
  private readonly objects = new Map<string, ClosureObject>();
  private readonly edges: NeededEdge[] = [];
  /** Edges by requester, then DT_NEEDED name: one requester's name resolves alike in most processes. */
  private readonly edgesBy = new Map<string, Map<string, NeededEdge[]>>();
  private readonly missing = new Map<string, MissingLibrary>();
  /** The process being recorded for replay (see shapeOf). */
  private recording: ProcessRecord | undefined;
  /** Records whose every op this builder has already added: a repeat adds only the program's own ops. */
  private readonly applied = new Set<ProcessRecord>();
  private cacheDecides = false;

  constructor(
    private readonly root: string,
    private readonly programOrigin: ProgramOrigin,
    ldSoCache: LdSoCacheSource,
    shared?: SharedLookups,
    /** False when the programs run without their setuid/setgid bits (their copies in a jail). */
    private readonly honourSetId = true,
  ) {
    this.files = shared?.of(root) ?? new RootFiles(root);
    this.memo = memoFor(this.files, `${programOrigin}\0${ldSoCache}\0${honourSetId}`, ldSoCache);
  }

  addInput(file: string): void {
    const path = this.physicalPath(file) ?? normalizeRootPath(file);
    const found = this.files.file(path);
    if (!found) {
      const where = this.root === '/' ? '' : ` inside ${this.root}`;
      const what = this.files.resolve(path) ? 'not a regular file' : 'no such file';
      throw new MkjailError(`Can't read ELF file at ${path}: ${what}${where}`, {
        exitCode: EXIT.badInput,
        hint: 'check the path; it must name a regular file (symlinks are followed)',
      });
    }
    const info = this.files.elf(found, path);
    this.addObject(path, 'input', info.interpreter);
    const shape = this.shapeOf(path, found, info);
    const known = shape === undefined ? undefined : this.memo.shapes.get(shape);
    if (known) return this.replay(known, path);
    const record: ProcessRecord = { main: path, ops: [], replayable: true, cacheDecides: false };
    this.recording = record;
    try {
      this.loadProcess(path, found, info);
    } finally {
      this.recording = undefined;
    }
    if (shape !== undefined && record.replayable) {
      this.memo.shapes.set(shape, record);
      this.applied.add(record);
    }
  }

  /** Maps the program, its interpreter, /etc/ld.so.preload and every library, as one process would. */
  private loadProcess(path: string, found: FoundFile, info: ElfInfo): void {
    const interpreterReal = this.addInterpreter(path, info);
    const biarch = isBiarch(interpreterReal ?? this.files.resolve(info.machine === EM_X86_64 ? X32_LOADER : I386_LOADER)?.real);
    const abi = this.abiFor(info, biarch);
    const origin = this.originOfMain(path, info);
    // The program was opened by its path: an edge back to it (a cycle through a library given alone) says `slash`.
    const main: LoadedObject = { path, info, loader: undefined, origin, via: 'slash' };
    const process: Process = { main, abi, loaded: [main], byId: new Map([[found.id, main]]), byName: new Map(), notFound: new Set(), secure: this.isSecure(found, info) };
    nameObject(process, main, path, undefined, info.soname);
    if (info.interpreter && interpreterReal !== undefined) this.mapInterpreter(process, info.interpreter);
    if (info.interpreter !== undefined || info.needed.length > 0) this.loadBreadthFirst(process);
  }

  /** The program's $ORIGIN: its real directory (from /proc/self/exe), unknown without /proc; a library's own directory. */
  private originOfMain(path: string, info: ElfInfo): string | undefined {
    if (info.interpreter === undefined) return posix.dirname(path);
    switch (this.programOrigin) {
      case 'known':
        return posix.dirname(this.files.resolve(path)?.real ?? path);
      case 'unknown':
        return undefined;
      default: {
        const never: never = this.programOrigin;
        return never;
      }
    }
  }

  /**
   * Everything about a program its process depends on except its path: two programs of one shape
   * load the same libraries the same way (most of /usr/bin needs just libc). Undefined for a library
   * given alone, whose closure may lead back to itself.
   */
  private shapeOf(path: string, found: FoundFile, info: ElfInfo): string | undefined {
    if (info.interpreter === undefined) return undefined;
    const needed = info.needed.join('\0');
    const usesTokens = needed.includes('$') || info.rpath?.includes('$') || info.runpath?.includes('$');
    const origin = usesTokens ? posix.dirname(this.files.resolve(path)?.real ?? path) : '';
    const none = '\u0002';
    const notes = info.dlopen.length > 0 ? JSON.stringify(info.dlopen) : none;
    // One template, not an array joined: this runs for every input.
    return `${elfAbiKey(info)}\u0001${info.interpreter}\u0001${needed}\u0001${info.rpath ?? none}\u0001${info.runpath ?? none}\u0001${info.flags1 & DF_1_NODEFLIB}\u0001${info.soname ?? none}\u0001${origin}\u0001${this.isSecure(found, info)}\u0001${notes}`;
  }

  /**
   * Adds what a program of the same shape added, with its path in place of the other program's. Objects,
   * edges and missing names are only ever added, and added once: after a record was applied here, a
   * repeat adds only the ops that name the program, in the same order.
   */
  private replay(record: ProcessRecord, main: string): void {
    if (record.cacheDecides) this.cacheDecides = true;
    const repeat = this.applied.has(record);
    this.applied.add(record);
    const ops = repeat ? (record.ownOps ??= record.ops.filter((op) => namesMain(op, record.main))) : record.ops;
    // An indexed loop, and a copy only of what names the other program: a replay runs for most inputs.
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as RecordedOp;
      switch (op.kind) {
        case 'object':
          this.addObject(op.path, op.objectKind);
          break;
        case 'edge':
          this.addEdge(op.edge.by === record.main ? edgeOf(op.edge.soname, main, op.edge.path, op.edge.via, op.edge.dlopen) : op.edge);
          break;
        case 'missing':
          this.addMissing(op.missing.neededBy === record.main ? missingOf(op.missing.soname, main, op.missing.dlopen) : op.missing);
          break;
      }
    }
  }

  private abiFor(info: ElfInfo, biarch: boolean): LoaderAbi {
    const key = `${elfAbiKey(info)}${biarch}`;
    let abi = this.memo.abis.get(key);
    if (!abi) {
      abi = loaderAbiFor(info, hostCpuFacts(), biarch);
      this.memo.abis.set(key, abi);
    }
    return abi;
  }

  result(): Closure {
    return { objects: [...this.objects.values()], edges: [...this.edges], missing: [...this.missing.values()], ...(this.cacheDecides ? { cacheDecides: true as const } : {}) };
  }

  /** Records the input's PT_INTERP (or its absence); returns the interpreter's real path when present. */
  private addInterpreter(input: string, info: ElfInfo): string | undefined {
    if (!info.interpreter) return undefined;
    const path = this.physicalPath(info.interpreter);
    const found = path === undefined ? undefined : this.files.file(path);
    if (!found || path === undefined) {
      this.addMissing({ soname: info.interpreter, neededBy: input });
      return undefined;
    }
    this.files.elf(found, path);
    this.addObject(path, 'interpreter');
    return this.files.resolve(path)?.real;
  }

  /** The interpreter is mapped first: DT_NEEDED names matching its path or SONAME resolve to it. */
  private mapInterpreter(process: Process, interpreter: string): void {
    const path = this.physicalPath(interpreter);
    const found = path === undefined ? undefined : this.files.file(path);
    if (!found || path === undefined || process.byId.has(found.id)) return;
    const info = this.files.elf(found, path);
    const object: LoadedObject = { path, info, loader: undefined, origin: posix.dirname(path), via: 'slash' };
    process.loaded.push(object);
    process.byId.set(found.id, object);
    nameObject(process, object, path, interpreter, info.soname);
  }

  /** The program, then /etc/ld.so.preload's libraries (mapped first, needs searched after), then BFS (rtld.c). */
  private loadBreadthFirst(process: Process): void {
    const queue: LoadedObject[] = [process.main];
    for (const name of this.preloadNames()) {
      const preloaded = this.mapNeeded(process, process.main, name, PRELOAD_PATH);
      if (preloaded) queue.push(preloaded);
    }
    this.drain(process, queue);
    this.loadNoted(process);
  }

  /** Maps the DT_NEEDED libraries of everything queued, breadth-first. */
  private drain(process: Process, queue: LoadedObject[]): void {
    // Indexed loops: this one runs for every object of every process, often before the JIT warms up.
    for (let head = 0; head < queue.length; head++) {
      const next = queue[head] as LoadedObject;
      const needed = next.info.needed;
      for (let i = 0; i < needed.length; i++) {
        const loaded = this.mapNeeded(process, next, needed[i] as string);
        if (loaded) queue.push(loaded);
      }
    }
  }

  /**
   * After start-up, what each mapped object's `.note.dlopen` names, as dlopen() from that object
   * would find it (its own RPATH/RUNPATH, then the cache and default directories), with the libraries
   * each one needs; the first of a note's alternative names that is found is the one used.
   */
  private loadNoted(process: Process): void {
    for (let index = 0; index < process.loaded.length; index++) {
      const requester = process.loaded[index];
      if (!requester || requester.info.dlopen.length === 0) continue;
      for (const entry of requester.info.dlopen) {
        const need: DlopenNeed = { priority: entry.priority, sonames: entry.sonames, ...(entry.feature ? { feature: entry.feature } : {}) };
        const name = entry.sonames.find((soname) => this.findNoted(process, requester, soname)) ?? entry.sonames[0] ?? '';
        const loaded = this.mapNeeded(process, requester, name, requester.path, need);
        if (loaded) this.drain(process, [loaded]);
      }
    }
  }

  /** True when dlopen(soname) from `requester` would find a file. */
  private findNoted(process: Process, requester: LoadedObject, soname: string): boolean {
    if (process.byName.has(soname)) return true;
    return (soname.includes('/') ? this.openByPath(process, soname) : this.search(process, requester, soname)) !== undefined;
  }

  /**
   * Resolves one DT_NEEDED entry of `requester` (or, with `by` = /etc/ld.so.preload, one preloaded
   * name, searched as the program's, whose absence the loader only warns about); returns the object
   * when it is newly mapped.
   */
  private mapNeeded(process: Process, requester: LoadedObject, needed: string, by = requester.path, dlopen?: DlopenNeed): LoadedObject | undefined {
    // Only a required library of a .note.dlopen is missing when absent: the object copes without the others.
    const isMissing = by !== PRELOAD_PATH && (dlopen === undefined || dlopen.priority === 'required');
    const name = needed.includes('$') ? expandElement(needed, this.tokens(process, requester), this.secureMode(process, requester)) : needed;
    if (name === undefined) {
      this.addEdge(edgeOf(needed, by, undefined, undefined, dlopen));
      if (isMissing) this.addMissing(missingOf(needed, requester.path, dlopen));
      return undefined;
    }
    const already = process.byName.get(name);
    if (already) {
      this.addEdge(edgeOf(needed, by, already.path, already.via, dlopen));
      return undefined;
    }
    const found = process.notFound.has(name)
      ? undefined
      : name.includes('/')
        ? this.openByPath(process, name)
        : this.search(process, requester, name);
    if (!found && by === PRELOAD_PATH) return undefined;
    this.addEdge(edgeOf(needed, by, found?.path, found?.via, dlopen));
    if (!found) {
      if (!dlopen) process.notFound.add(name);
      if (isMissing) this.addMissing(missingOf(needed, requester.path, dlopen));
      return undefined;
    }
    return this.mapFound(process, requester, name, found);
  }

  /** Maps the file the search found, unless it is an object already mapped (the same device and inode). */
  private mapFound(process: Process, requester: LoadedObject, name: string, found: Found): LoadedObject | undefined {
    this.addObject(found.path, 'library');
    const file = this.files.file(found.path);
    if (!file) return undefined;
    const same = process.byId.get(file.id);
    if (same === process.main && this.recording) this.recording.replayable = false;
    if (same) {
      if (!process.byName.has(name)) process.byName.set(name, same);
      return undefined;
    }
    const info = this.files.elf(file, found.path);
    const object: LoadedObject = { path: found.path, info, loader: requester, origin: posix.dirname(found.path), via: found.via };
    process.loaded.push(object);
    process.byId.set(file.id, object);
    nameObject(process, object, found.path, name, info.soname);
    return object;
  }

  /** The names in the root's /etc/ld.so.preload (separated by spaces, tabs, colons, newlines). */
  private preloadNames(): string[] {
    if (this.memo.preloads === undefined) {
      const file = this.files.file(PRELOAD_PATH);
      let text = '';
      try {
        if (file && file.size <= MAX_PRELOAD_BYTES) text = readFileSync(file.host, 'utf8');
      } catch {
        text = '';
      }
      this.memo.preloads = text.split(/[ \t:\n]+/).filter(Boolean);
    }
    return this.memo.preloads;
  }

  private openByPath(process: Process, name: string): Found | undefined {
    const path = this.physicalPath(name);
    return path !== undefined && this.fits(process.abi, path) ? { path, via: 'slash' } : undefined;
  }

  /** The ld.so(8) search for a name without a slash, memoised by everything it depends on. */
  private search(process: Process, requester: LoadedObject, name: string): Found | undefined {
    const context = (requester.context ??= this.searchContext(process, requester));
    const key = `${context.key}\0${name}`;
    let found = this.memo.searches.get(key);
    if (found === undefined) {
      found = this.searchUncached(process.abi, context.lists, context.nodeflib, name) ?? null;
      this.memo.searches.set(key, found);
    }
    if (found?.cacheDecides) {
      this.cacheDecides = true;
      if (this.recording) this.recording.cacheDecides = true;
    }
    return found ?? undefined;
  }

  private searchContext(process: Process, requester: LoadedObject): SearchContext {
    const lists = this.searchLists(process, requester);
    const nodeflib = (requester.info.flags1 & DF_1_NODEFLIB) !== 0;
    const key = `${abiMemoKey(process.abi)}\0${nodeflib}\0${lists.map((l) => `${l.via}=${l.dirs.join(':')}`).join('\0')}`;
    return { lists, nodeflib, key };
  }

  private searchUncached(abi: LoaderAbi, lists: SearchList[], nodeflib: boolean, name: string): Found | undefined {
    for (const list of lists) {
      const path = this.searchDirs(abi, list.dirs, name);
      if (path) return { path, via: list.via };
    }
    const cached = this.memo.cache.find(name, abi, (path) => this.fits(abi, path));
    if (cached && !(nodeflib && inDefaultDir(abi, cached)) && this.fits(abi, cached)) {
      return { path: cached, via: 'ld.so.cache', ...(this.defaultsAgree(abi, nodeflib, name, cached) ? {} : { cacheDecides: true as const }) };
    }
    const inDefaults = nodeflib ? undefined : this.searchDirs(abi, abi.defaultDirs, name);
    return inDefaults ? { path: inDefaults, via: 'default' } : undefined;
  }

  /**
   * True when the default directories alone would find `cached` too, so the answer holds without the
   * cache; false when they would not, or when looking there fails (a damaged file the cache passes by).
   */
  private defaultsAgree(abi: LoaderAbi, nodeflib: boolean, name: string, cached: string): boolean {
    if (nodeflib) return false;
    try {
      return this.searchDirs(abi, abi.defaultDirs, name) === cached;
    } catch {
      return false;
    }
  }

  private searchDirs(abi: LoaderAbi, dirs: readonly string[], name: string): string | undefined {
    const subdirs = abi.subdirs;
    for (let d = 0; d < dirs.length; d++) {
      const dir = dirs[d] as string;
      for (let s = 0; s < subdirs.length; s++) {
        const subdir = subdirs[s] as string;
        const where = subdir === '' ? dir : dir === '/' ? `/${subdir}` : `${dir}/${subdir}`;
        if (!this.files.isDir(where)) continue;
        const path = where === '/' ? `/${name}` : `${where}/${name}`;
        if (this.fits(abi, path)) return path;
      }
    }
    return undefined;
  }

  /** DT_RPATH of the requester and its loaders, then of the executable (none when DT_RUNPATH is set); DT_RUNPATH. */
  private searchLists(process: Process, requester: LoadedObject): SearchList[] {
    const lists: SearchList[] = [];
    if (requester.info.runpath === undefined) {
      let sawMain = false;
      for (let object: LoadedObject | undefined = requester; object; object = object.loader) {
        if (object.info.rpath !== undefined && object.info.runpath === undefined) {
          lists.push({ dirs: this.dirsOf(process, object, object.info.rpath), via: 'rpath' });
        }
        sawMain ||= object === process.main;
      }
      const main = process.main;
      if (!sawMain && main.info.rpath !== undefined && main.info.runpath === undefined) {
        lists.push({ dirs: this.dirsOf(process, main, main.info.rpath), via: 'rpath' });
      }
    } else {
      lists.push({ dirs: this.dirsOf(process, requester, requester.info.runpath), via: 'runpath' });
    }
    return lists;
  }

  private dirsOf(process: Process, object: LoadedObject, value: string): string[] {
    const secure = this.secureMode(process, object);
    const key = `${object.origin ?? '\u0003'}\0${process.abi.lib}\0${process.abi.platform}\0${secure ? `secure${secure.mainProgram}` : ''}\0${value}`;
    let dirs = this.memo.dirLists.get(key);
    if (!dirs) {
      dirs = searchDirs(value, this.tokens(process, object), secure).flatMap((dir) => this.physicalPath(dir) ?? []);
      this.memo.dirLists.set(key, dirs);
    }
    return dirs;
  }

  /**
   * `path` (absolute, or relative to `/`) without "." or ".." components: a ".." is resolved inside
   * the root after the symlinks before it, as the kernel does; undefined when that directory is absent.
   */
  private physicalPath(path: string): string | undefined {
    const clean = cleanPath(path);
    if (!hasDotDot(clean)) return clean;
    const slash = clean.lastIndexOf('/');
    const name = clean.slice(slash + 1);
    const dir = this.files.resolve(name === '..' ? clean : clean.slice(0, slash) || '/')?.real;
    if (dir === undefined) return undefined;
    if (name === '..') return dir;
    return dir === '/' ? `/${name}` : `${dir}/${name}`;
  }

  /** The loader runs in secure mode: a dynamically linked setuid/setgid program, where those bits count. */
  private isSecure(found: FoundFile, info: ElfInfo): boolean {
    return this.honourSetId && isSetId(found.mode) && info.interpreter !== undefined;
  }

  private secureMode(process: Process, object: LoadedObject): SecureMode | undefined {
    return process.secure ? { mainProgram: object === process.main, trustedDirs: process.abi.defaultDirs } : undefined;
  }

  private tokens(process: Process, object: LoadedObject): TokenValues {
    return { origin: object.origin, lib: process.abi.lib, platform: process.abi.platform };
  }

  /** True when `path` is an ELF object this loader maps; other classes and machines are skipped. */
  private fits(abi: LoaderAbi, path: string): boolean {
    const file = this.files.file(path);
    if (!file) return false;
    try {
      return elfAbiKey(this.files.elf(file, path)) === abi.key;
    } catch (error) {
      const key = peekElfAbiKey(file.host);
      if (key !== undefined && key !== abi.key) return false;
      throw error;
    }
  }

  private addObject(path: string, kind: ClosureObjectKind, interpreter?: string): void {
    this.recording?.ops.push({ kind: 'object', path, objectKind: kind });
    if (this.objects.has(path)) return;
    const resolved = this.files.resolve(path);
    const object: ClosureObject = { path, kind, real: resolved?.real ?? path, links: [...(resolved?.links ?? [])] };
    if (interpreter !== undefined) object.interpreter = interpreter;
    this.objects.set(path, object);
  }

  private addEdge(edge: NeededEdge): void {
    if (this.recording) {
      this.recording.ops.push({ kind: 'edge', edge });
      if (edge.path === this.recording.main) this.recording.replayable = false;
    }
    let byName = this.edgesBy.get(edge.by);
    if (!byName) {
      byName = new Map();
      this.edgesBy.set(edge.by, byName);
    }
    const known = byName.get(edge.soname);
    if (known) {
      for (const other of known) if (other.path === edge.path && other.via === edge.via) return;
      known.push(edge);
    } else {
      byName.set(edge.soname, [edge]);
    }
    this.edges.push(edge);
  }

  private addMissing(missing: MissingLibrary): void {
    this.recording?.ops.push({ kind: 'missing', missing });
    const key = `${missing.neededBy}\0${missing.soname}`;
    if (!this.missing.has(key)) this.missing.set(key, missing);
  }
}

const abiKeys = new WeakMap<LoaderAbi, string>();
const abiIds = new Map<string, string>();

/**
 * Everything of a loader that a search depends on, as a memo key: two loaders of one machine
 * (Debian's biarch /lib32 one and the multiarch i386 one) search different directories.
 */
function abiMemoKey(abi: LoaderAbi): string {
  let key = abiKeys.get(abi);
  if (key === undefined) {
    const whole = JSON.stringify(abi, (_name, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    key = abiIds.get(whole) ?? `abi${abiIds.size}`;
    abiIds.set(whole, key);
    abiKeys.set(abi, key);
  }
  return key;
}

/** glibc rejects, under DF_1_NODEFLIB, a cache entry whose path starts with a default directory. */
function inDefaultDir(abi: LoaderAbi, path: string): boolean {
  return abi.defaultDirs.some((dir) => path.startsWith(`${dir}/`));
}

/** True when a recorded op names the recorded program (an object op never does: the program is added before). */
function namesMain(op: RecordedOp, main: string): boolean {
  return op.kind === 'edge' ? op.edge.by === main : op.kind === 'missing' && op.missing.neededBy === main;
}

/**
 * Records the names an object answers to (glibc _dl_name_match_p): the path it was opened by, the name
 * asked for, its DT_SONAME; a name already taken keeps its first object.
 */
function nameObject(process: Process, object: LoadedObject, path: string, asked: string | undefined, soname?: string): void {
  if (!process.byName.has(path)) process.byName.set(path, object);
  if (asked !== undefined && !process.byName.has(asked)) process.byName.set(asked, object);
  if (soname !== undefined && !process.byName.has(soname)) process.byName.set(soname, object);
}

/** Set-user-ID or set-group-ID: the kernel sets AT_SECURE and the loader runs in secure mode. */
function isSetId(mode: number): boolean {
  return (mode & 0o6000) !== 0;
}

/** Debian's biarch 32-bit loaders (libc6-i386, libc6-x32) live in lib32 / libx32 and search there. */
function isBiarch(interpreterReal: string | undefined): boolean {
  return interpreterReal !== undefined && /^\/(usr\/)?lib(32|x32)\//.test(interpreterReal);
}

// What a recipe's jail lacks of what a traced run used on the host, as recipe fields: programs and
// libraries for `binaries`, files read for `files`, paths created or written for `writable` (with the
// program and path that made them needed as `why`), devices for `devices`. Compared with the plan of
// the jail (its manifest), through the jail's own symlinks; nothing is built and the recipe is not
// changed.
import { realpathSync } from 'node:fs';
import { basename, posix } from 'node:path';
import type { Manifest, ManifestEntry } from '../plan/manifest.js';
import { resolveInManifest } from '../plan/why-chain.js';
import { DEVICE_NUMBERS, type DeviceName } from '../recipe/schema.js';
import { resolveClosure } from '../resolve/library-closure.js';
import type { TraceEntry } from './trace-report.js';

export interface FragmentItem {
  path: string;
  why: string;
}

export interface WritableItem {
  path: string;
  owner: string;
  group: string;
  mode: string;
  why: string;
}

export interface RecipeFragment {
  binaries: FragmentItem[];
  files: FragmentItem[];
  writable: WritableItem[];
  devices: { name: DeviceName; why: string }[];
  /** NSS databases the run looked up through nsswitch.conf, when the jail has none: the recipe's `nss`. */
  nss: { databases: string[]; why: string } | undefined;
  /** Well-known run-time items (the recipe's `runtime`) whose files the run used and the jail lacks. */
  runtime: { name: string; why: string }[];
  /** Things no field can fix by copying: UNIX sockets, the account files. Printed as comments. */
  notes: string[];
}

/** The loader's own files: mkjail writes the jail's ld.so.cache when its libraries need one. */
const LOADER_FILES = new Set(['/etc/ld.so.cache', '/etc/ld.so.preload']);
/** The account files: the jail's are written from the recipe's user and group, never copied. */
const ACCOUNT_FILES = new Set(['/etc/passwd', '/etc/group']);

/** The fragment for `entries` against the jail `manifest` describes; `user`/`group` own new writable paths. */
export function recipeFragment(entries: TraceEntry[], manifest: Manifest, fallback: { user: string; group: string }): RecipeFragment {
  const jail = new JailView(manifest);
  const writable = writableItems(entries, jail, fallback);
  const underWritable = (path: string) => writable.some((item) => isBelow(path, item.path)) || jail.isWritable(path);
  const nss = jail.holds(NSSWITCH) ? undefined : nssLookups(entries);
  const fragment: RecipeFragment = { binaries: [], files: [], writable, devices: [], nss, runtime: [], notes: [] };
  const broughtByNss = new Set(nss ? [NSSWITCH, ...nss.databases.flatMap((database) => NSS_FILES[database] ?? [])] : []);
  const seen = new Set<string>();
  for (const entry of entries) {
    if (seen.has(`${entry.kind}\0${entry.path}`)) continue;
    seen.add(`${entry.kind}\0${entry.path}`);
    if (entry.kind === 'read' && ACCOUNT_FILES.has(entry.path)) fragment.notes.push(accountFileNote(entry, manifest));
    else if ((entry.kind === 'exec' || entry.kind === 'library') && !jail.holds(entry.path)) {
      fragment.binaries.push({ path: entry.path, why: `traced: ${entry.by} ${entry.kind === 'exec' ? 'executed' : 'mapped'} it (${entry.syscall})` });
    } else if (entry.kind === 'read' && !jail.holds(entry.path) && !underWritable(entry.path)) {
      if (LOADER_FILES.has(entry.path) || broughtByNss.has(entry.path)) continue;
      fragment.files.push({ path: entry.path, why: `traced: ${entry.by} read it (${entry.syscall})` });
    } else if (entry.kind === 'dev') {
      addDevice(fragment, entry, jail);
    } else if (entry.kind === 'socket' && !jail.holds(entry.path)) {
      fragment.notes.push(socketNote(entry));
    }
  }
  dropWhatOthersBring(fragment, nssModules(entries));
  suggestRuntime(fragment);
  // A recipe that declares devices (an included one too) replaces the default ['null']: keep /dev/null.
  if (fragment.devices.length > 0 && jail.holds('/dev/null')) fragment.devices.unshift({ name: 'null', why: 'kept: the jail has it, and a devices list replaces the default' });
  return fragment;
}

/** Which `runtime` item a path belongs to (its files are what the item brings). */
const RUNTIME_PATHS: [string, RegExp][] = [
  ['tz', /^(\/etc\/localtime|\/etc\/timezone|\/usr\/share\/zoneinfo\/.*)$/],
  ['openssl', /^\/(usr\/lib|etc)\/ssl\/openssl\.cnf$|\/ossl-modules\/|\/engines-\d+\//],
  ['ca-certificates', /^\/usr\/lib\/ssl\/cert\.pem$|^\/etc\/ssl\/certs\//],
  // setlocale() reads gconv-modules.cache for any UTF-8 locale; only a module mapped means iconv converted.
  ['gconv', /\/gconv\/[^/]+\.so$/],
  ['libgcc_s', /\/libgcc_s\.so\.1$/],
  ['locale', /^\/usr\/lib\/locale\/|^\/usr\/share\/locale\/locale\.alias$/],
  ['terminfo', /\/terminfo\//],
  ['resolver', /^\/etc\/(resolv\.conf|host\.conf|gai\.conf|hosts)$/],
];

/** Replaces files and binaries that belong to a runtime item with the item, which brings them (and their kin). */
function suggestRuntime(fragment: RecipeFragment): void {
  const itemOf = (path: string) => RUNTIME_PATHS.find(([, pattern]) => pattern.test(path))?.[0];
  const take = (items: FragmentItem[]) =>
    items.filter((item) => {
      const name = itemOf(item.path);
      if (name === undefined) return true;
      if (!fragment.runtime.some((known) => known.name === name)) fragment.runtime.push({ name, why: item.why.replace(/ it \(/, ` ${item.path} (`) });
      return false;
    });
  fragment.files = take(fragment.files);
  fragment.binaries = take(fragment.binaries);
}

const NSSWITCH = '/etc/nsswitch.conf';

/** What each NSS database reads with glibc's files and dns sources (the nss field brings them). */
const NSS_FILES: Record<string, string[]> = {
  passwd: ['/etc/passwd'],
  group: ['/etc/group'],
  hosts: ['/etc/hosts', '/etc/resolv.conf', '/etc/host.conf'],
  networks: ['/etc/networks'],
  protocols: ['/etc/protocols'],
  services: ['/etc/services'],
  ethers: ['/etc/ethers'],
  rpc: ['/etc/rpc'],
};

/** The databases looked up, from the files read after nsswitch.conf was (and the modules loaded for them). */
function nssLookups(entries: TraceEntry[]): RecipeFragment['nss'] {
  const readers = entries.filter((entry) => entry.kind === 'read' && entry.path === NSSWITCH);
  if (readers.length === 0) return undefined;
  const read = new Set(entries.filter((entry) => entry.kind === 'read').map((entry) => entry.path));
  const databases = Object.entries(NSS_FILES).filter(([, files]) => files.some((file) => read.has(file))).map(([database]) => database);
  if (databases.length === 0) return undefined;
  const by = readers[0]?.by ?? 'the program';
  return { databases, why: `traced: ${by} read ${NSSWITCH} and ${databases.map((database) => NSS_FILES[database]?.find((file) => read.has(file))).join(', ')}` };
}

/** glibc's NSS modules the run loaded (libnss_systemd.so.2 for `group: files systemd`): never suggested as binaries. */
function nssModules(entries: TraceEntry[]): string[] {
  return entries.filter((entry) => entry.kind === 'library' && NSS_MODULE.test(basename(entry.path))).map((entry) => entry.path);
}

const NSS_MODULE = /^libnss_[a-z0-9_]+\.so/;

/**
 * Leaves out an NSS module (the jail's name service is its own), and any library that another suggested
 * binary or an NSS module needs (it comes with that binary's closure, or only came for that module).
 */
function dropWhatOthersBring(fragment: RecipeFragment, modules: string[]): void {
  const brought = new Set<string>();
  for (const path of [...fragment.binaries.map((item) => item.path), ...modules]) {
    for (const object of closureOf(path)) if (object !== realOf(path)) brought.add(object);
  }
  fragment.binaries = fragment.binaries.filter((item) => !modules.includes(item.path) && !brought.has(realOf(item.path)));
  for (const module of modules) fragment.notes.push(`${basename(module)} was loaded for a name lookup on the host: the jail's name service comes from nss (files and dns need no module)`);
}

function closureOf(path: string): string[] {
  try {
    return resolveClosure([path]).objects.map((object) => object.real);
  } catch {
    return [];
  }
}

function realOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function addDevice(fragment: RecipeFragment, entry: TraceEntry, jail: JailView): void {
  const name = entry.path.slice('/dev/'.length);
  if (entry.errno !== undefined || jail.holds(entry.path) || !(name in DEVICE_NUMBERS) || name === 'null') return;
  if (fragment.devices.some((device) => device.name === name)) return;
  fragment.devices.push({ name: name as DeviceName, why: `traced: ${entry.by} opened ${entry.path} (${entry.syscall})` });
}

/**
 * The account files are never copied: the jail's name root, the service identity and the host entries
 * the recipe's nss `names` lists. strace shows the file read, not the names asked for, so this is a hint.
 */
function accountFileNote(entry: TraceEntry, manifest: Manifest): string {
  const database = entry.path === '/etc/passwd' ? 'passwd' : 'group';
  const what = database === 'passwd' ? 'user' : 'group';
  const own = manifest.identity ? `in the jail: root and ${manifest.identity[what]}` : 'in the jail: none, mkjail writes it for a recipe with user:';
  return `${entry.by} read ${entry.path} (${own}); strace cannot see which names it looked up: a ${what} other than the service's own goes in nss: [{ database: '${database}', names: ['NAME'] }]`;
}

function socketNote(entry: TraceEntry): string {
  if (entry.path === '/dev/log' || entry.path === '/run/systemd/journal/dev-log') return `${entry.by} connected to ${entry.path}: add syslog: true for a /dev/log served by the host's rsyslog`;
  if (entry.path.startsWith('/run/nscd/')) return `${entry.by} connected to ${entry.path} (nscd): glibc falls back to the jail's own files without it`;
  return `${entry.by} connected to the UNIX socket ${entry.path}: the jail does not hold it; a service it talks to must make it inside the jail`;
}

/**
 * Writable paths: a directory made with mkdir() (even when it was there already), the directory of a
 * file created, removed or renamed away, and a file written in place. The outermost of nested
 * candidates is kept; what the jail already holds writable is left out.
 */
function writableItems(entries: TraceEntry[], jail: JailView, fallback: { user: string; group: string }): WritableItem[] {
  const candidates = new Map<string, WritableItem>();
  for (const entry of entries) {
    const path = writablePathOf(entry);
    if (path === undefined || path === '/' || candidates.has(path) || jail.isWritable(path)) continue;
    const owner = ownerOf(entry, fallback.user);
    candidates.set(path, { path, owner, group: fallback.group, mode: '0700', why: whyOf(entry) });
  }
  const paths = [...candidates.keys()];
  return [...candidates.values()]
    .filter((item) => !paths.some((other) => other !== item.path && isBelow(item.path, other)))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

function writablePathOf(entry: TraceEntry): string | undefined {
  if (entry.errno !== undefined && !(entry.kind === 'created' && entry.errno === 'EEXIST')) return undefined;
  if (entry.kind === 'created') return entry.syscall.startsWith('mkdir') ? entry.path : posix.dirname(entry.path);
  if (entry.kind === 'removed') return posix.dirname(entry.path);
  if (entry.kind === 'written') return entry.path;
  return undefined;
}

function whyOf(entry: TraceEntry): string {
  if (entry.kind === 'removed') return `traced: ${entry.by} removed ${entry.path}`;
  if (entry.kind === 'written') return `traced: ${entry.by} wrote ${entry.path}`;
  if (entry.errno === 'EEXIST') return `traced: ${entry.by} mkdir()s ${entry.path} (there already on the host)`;
  return `traced: ${entry.by} created ${entry.path}`;
}

/** The owner a writable path needs: whom the program chown()ed it to, or who wrote it unless root. */
function ownerOf(entry: TraceEntry, fallback: string): string {
  if (entry.owner !== undefined && entry.owner !== 'root' && entry.owner !== '0') return entry.owner;
  if (entry.user !== undefined && entry.user !== 'root' && entry.user !== '0') return entry.user;
  return fallback;
}

function isBelow(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

class JailView {
  readonly #entries: Map<string, ManifestEntry>;
  readonly #writable: string[];

  constructor(manifest: Manifest) {
    this.#entries = new Map(manifest.entries.map((entry) => [entry.path, entry]));
    this.#writable = manifest.writable.map((item) => item.path);
  }

  /** True when the jail holds `path` (through its own symlinks). */
  holds(path: string): boolean {
    return resolveInManifest(this.#entries, path) !== undefined;
  }

  /** True when `path` is, or is below, a writable path of the jail. */
  isWritable(path: string): boolean {
    const real = resolveInManifest(this.#entries, path) ?? path;
    return this.#writable.some((dir) => isBelow(real, dir) || isBelow(path, dir));
  }
}

/** The fragment as a recipe module to save beside the recipe and `include`, or to paste field by field. */
export function renderFragment(fragment: RecipeFragment, header: { recipe: string; name: string; command: string[] }): string {
  const lines = [
    `// What the jail of ${header.recipe} lacks, found by mkjail trace of: ${header.command.join(' ')}`,
    '// Paste these fields into the recipe (joining the lists it has), or save this file beside it and',
    `// add include: ['./${header.name}.ts'].`,
    "import { defineRecipe } from 'mkjail';",
    '',
    'export default defineRecipe({',
    `  name: ${quote(header.name)},`,
  ];
  lines.push(...fragmentFieldLines(fragment));
  lines.push('});', '');
  return lines.join('\n');
}

/**
 * The fragment's fields as recipe source lines (two-space indent). `leading` binaries come first in
 * `binaries`; `devices` starts with 'null' when `withNull` (a recipe's own list replaces the default).
 */
export function fragmentFieldLines(fragment: RecipeFragment, leading: FragmentItem[] = [], withNull = false): string[] {
  const lines: string[] = [];
  const binaries = [...leading, ...fragment.binaries];
  if (binaries.length > 0) lines.push('  binaries: [', ...binaries.map((item) => `    ${quote(item.path)}, // ${item.why}`), '  ],');
  if (fragment.files.length > 0) lines.push('  files: [', ...fragment.files.map((item) => `    ${quote(item.path)}, // ${item.why}`), '  ],');
  if (fragment.writable.length > 0) {
    lines.push('  writable: [');
    for (const item of fragment.writable) {
      lines.push(`    { path: ${quote(item.path)}, owner: ${quote(item.owner)}, group: ${quote(item.group)}, mode: ${quote(item.mode)}, why: ${quote(item.why)} },`);
    }
    lines.push('  ],');
  }
  if (fragment.runtime.length > 0) lines.push('  runtime: [', ...fragment.runtime.map((item) => `    ${quote(item.name)}, // ${item.why}`), '  ],');
  if (fragment.nss) lines.push(`  nss: [${fragment.nss.databases.map(quote).join(', ')}], // ${fragment.nss.why}`);
  if (fragment.devices.length > 0) lines.push('  devices: [', ...(withNull ? ["    'null',"] : []), ...fragment.devices.map((device) => `    { name: ${quote(device.name)}, why: ${quote(device.why)} },`), '  ],');
  for (const note of fragment.notes) lines.push(`  // ${note}`);
  return lines;
}

/** A TypeScript string literal (JSON's escaping is valid TypeScript), single-quoted when it needs no escape. */
export function quote(text: string): string {
  return /^[^'\\\n\r\u2028\u2029]*$/.test(text) && !/[\u0000-\u001f]/.test(text) ? `'${text}'` : JSON.stringify(text);
}

/** True when the fragment adds nothing to the recipe. */
export function fragmentIsEmpty(fragment: RecipeFragment): boolean {
  return fragment.binaries.length + fragment.files.length + fragment.writable.length + fragment.devices.length + fragment.runtime.length === 0 && fragment.nss === undefined;
}

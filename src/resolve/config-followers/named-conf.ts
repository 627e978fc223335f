// Follows a BIND named.conf the way named reads it: every file it opens (includes, zone files and their
// $INCLUDEs, bindkeys-file, plugins and DLZ/dyndb libraries, GeoIP databases, TLS keys and certificates,
// the GSS-TSIG keytab)
// and every directory it writes (working directory, pid/session-key/lock directories, key directories,
// secondary, dynamic and signed zones, catalog and new zones, log and dnstap files), each with the
// statement that says so. Zone settings are inherited as named inherits them: zone, then view, then
// options. State named left on the host (journals, signed copies, DNSSEC keys) is reported as such.
// A dynamic zone's file is both: read from the host on the first build, then owned by named (writable).
import { posix } from 'node:path';
import { readdirSync } from 'node:fs';
import { hostPath, normalizeRootPath, resolveInRoot } from '../../fs/path-in-root.js';
import { type NamedStatement, type NamedWord, parseNamedConf, syntaxError } from './named-conf-syntax.js';
import { zoneFileIncludes } from './named-conf-zone-file.js';
import type { ConfigFollower, ConfigFollowResult, FollowedFile, FollowedWritable } from './types.js';

/** Where Debian's named writes these when named.conf does not say (`named -V`, "default paths"). */
export const NAMED_DEFAULT_PATHS = {
  'pid-file': '/run/named/named.pid',
  'session-keyfile': '/run/named/session.key',
  'lock-file': '/run/named/named.lock',
} as const;
type RunFileOption = keyof typeof NAMED_DEFAULT_PATHS;
const RUN_FILE_OPTIONS = Object.keys(NAMED_DEFAULT_PATHS) as RunFileOption[];

const RUN_FILE_WHY: Record<RunFileOption, string> = {
  'pid-file': 'named creates its pid file there',
  'session-keyfile': 'named creates the session key for nsupdate -l there',
  'lock-file': 'named creates its lock file there',
};

/** Options naming a file named writes (relative names land in the working directory). */
const WRITTEN_FILE_OPTIONS = ['dump-file', 'statistics-file', 'memstatistics-file', 'recursing-file', 'secroots-file'] as const;

/** The trust anchors Debian's named reads at start when named.conf names no bindkeys-file (`named -V`). */
export const NAMED_DEFAULT_BINDKEYS = '/etc/bind/bind.keys';

/** Where Debian's named looks for a `plugin` given by a bare file name. */
export const NAMED_PLUGIN_DIR = '/usr/lib/x86_64-linux-gnu/bind';

/** Where Debian's named (built with libmaxminddb) looks for GeoIP2 databases unless geoip-directory says. */
export const NAMED_GEOIP_DIR = '/usr/share/GeoIP';

/** The databases named opens in the GeoIP directory at start (bin/named/geoip.c), when they exist. */
const GEOIP_DATABASES = [
  'GeoIP2-Country.mmdb', 'GeoLite2-Country.mmdb', 'GeoIP2-City.mmdb', 'GeoLite2-City.mmdb',
  'GeoIP2-ASN.mmdb', 'GeoLite2-ASN.mmdb', 'GeoIP2-ISP.mmdb', 'GeoIP2-Domain.mmdb',
] as const;

/** Files of a `tls` block that named reads (DNS over TLS and HTTPS). */
const TLS_FILE_OPTIONS = ['key-file', 'cert-file', 'ca-file', 'dhparam-file'] as const;

/** Zone types whose file named writes itself from a zone transfer. */
const TRANSFERRED_ZONE_TYPES = ['secondary', 'slave', 'stub', 'mirror'] as const;
const PRIMARY_ZONE_TYPES = ['primary', 'master'] as const;

export const namedConfFollower: ConfigFollower = {
  format: 'named.conf',
  follow: followNamedConf,
};

/** What every part of the follower needs: the root, named's working directory, the options, the output. */
interface Context {
  root: string;
  cwd: string;
  options: NamedStatement[];
  out: FollowCollector;
}

export function followNamedConf(root: string, path: string, text?: string): ConfigFollowResult {
  const config = normalizeRootPath(path);
  const parsed = parseNamedConf(root, config, text);
  const out = new FollowCollector(root, config);
  out.config({ path: config, by: config, what: 'named.conf: the configuration named reads (-c)' });
  for (const include of parsed.includes) out.config({ path: include.path, by: include.by, what: 'include' });
  const options = findBlock(parsed.statements, 'options');
  const context: Context = { root, cwd: workingDirectory(options?.statements ?? []), options: options?.statements ?? [], out };
  if (options) followOptions(options, context);
  else followRunFileDefaults(config, out);
  followBindkeys(context, options?.file ?? config);
  const views = statementsNamed(parsed.statements, 'view').map((v) => blockOf(v)?.statements ?? []);
  followZones(parsed.statements, undefined, context);
  for (const view of views) {
    followViewDirectories(view, context);
    followZones(view, view, context);
  }
  const logging = findBlock(parsed.statements, 'logging');
  if (logging) followLogging(logging.statements, context);
  for (const scope of [parsed.statements, ...views]) followLoadedLibraries(scope, out);
  followTls(parsed.statements, context);
  return out.result();
}

/**
 * options.directory, absolute and normal. A relative one is refused: named takes it relative to the
 * directory it is in when it reads the config, which is another one on every reload.
 */
function workingDirectory(options: NamedStatement[]): string {
  const directory = stringValue(options, 'directory');
  if (!directory) return '/';
  if (!directory.value.startsWith('/')) {
    throw syntaxError(directory.file, directory.line, `relative directory "${directory.value}" (named takes it relative to the directory it is in when it reads the config, another one after every reload)`, 'write options.directory as an absolute path');
  }
  return normalizeRootPath(directory.value);
}

function followOptions(options: { statements: NamedStatement[]; file: string }, context: Context): void {
  const { statements } = options;
  const { cwd, out } = context;
  const directory = stringValue(statements, 'directory');
  if (directory) out.writable({ path: cwd, by: directory.file, what: 'options.directory: working directory (managed keys, journals, dumps)' });
  const keytab = stringValue(statements, 'tkey-gssapi-keytab');
  if (keytab) out.file({ path: inDir(cwd, keytab.value), by: keytab.file, what: 'options.tkey-gssapi-keytab: the Kerberos keytab named reads for GSS-TSIG', private: true, optional: true });
  for (const name of ['key-directory', 'managed-keys-directory'] as const) {
    const found = stringValue(statements, name);
    if (found) out.writable({ path: inDir(cwd, found.value), by: found.file, what: `options.${name}: named reads and writes DNSSEC keys there` });
  }
  for (const name of RUN_FILE_OPTIONS) {
    const found = stringValue(statements, name);
    if (found?.value === 'none') continue;
    const file = found ? inDir(cwd, found.value) : NAMED_DEFAULT_PATHS[name];
    const what = found ? `options.${name}: ${RUN_FILE_WHY[name]}` : `options.${name} (default ${file}): ${RUN_FILE_WHY[name]}`;
    out.writable({ path: posix.dirname(file), by: found?.file ?? options.file, what });
  }
  for (const name of WRITTEN_FILE_OPTIONS) {
    const found = stringValue(statements, name);
    if (found) out.writable({ path: posix.dirname(inDir(cwd, found.value)), by: found.file, what: `options.${name}: named writes it on request` });
  }
  followDnstap(statements, context);
  followGeoip(statements, options.file, context);
  followViewDirectories(statements, context, 'options');
}

/** Directories options and views both set: new zones (allow-new-zones) and catalog zones' member zones. */
function followViewDirectories(statements: NamedStatement[], context: Context, scope = 'view'): void {
  const { cwd, out } = context;
  if (scope === 'view') {
    const keys = stringValue(statements, 'key-directory');
    if (keys) out.writable({ path: inDir(cwd, keys.value), by: keys.file, what: 'view key-directory: named reads and writes DNSSEC keys there' });
  }
  const newZones = stringValue(statements, 'new-zones-directory');
  if (newZones) {
    const dir = inDir(cwd, newZones.value);
    out.writable({ path: dir, by: newZones.file, what: `${scope}.new-zones-directory: named writes the zones added with rndc addzone there (.nzd)` });
    for (const name of namesIn(context.root, dir, /\.(nzd|nzf)$/)) out.state({ path: `${dir}/${name}`, by: newZones.file, what: `${scope}.new-zones-directory: zones added with rndc addzone` }, 'written');
  }
  for (const catalog of statementsNamed(statements, 'catalog-zones')) {
    for (const entry of blockOf(catalog)?.statements ?? []) {
      const at = entry.words.findIndex((w) => w.kind === 'word' && w.text.toLowerCase() === 'zone-directory');
      const value = at >= 0 ? entry.words[at + 1] : undefined;
      if (value && value.kind !== 'block') out.writable({ path: inDir(cwd, value.text), by: entry.file, what: `${scope}.catalog-zones zone-directory: named writes the member zones there` });
    }
  }
}

/** `dnstap-output file "path";`: named writes its dnstap log there (a `unix` socket can't be jailed). */
function followDnstap(statements: NamedStatement[], context: Context): void {
  const statement = statementsNamed(statements, 'dnstap-output').at(-1);
  if (!statement) return;
  const [, kind, target] = statement.words;
  const type = kind?.kind === 'word' ? kind.text.toLowerCase() : '';
  if (type === 'unix') {
    throw syntaxError(statement.file, statement.line, 'dnstap-output unix names a socket of a collector outside the jail, which a jail can\'t hold', 'use dnstap-output file "PATH" (read it with dnstap-read), or bind-mount the socket yourself and drop dnstap-output from the config you jail');
  }
  if (type === 'file' && target && target.kind !== 'block') {
    context.out.writable({ path: posix.dirname(inDir(context.cwd, target.text)), by: statement.file, what: 'options.dnstap-output file: named writes (and rolls) its dnstap log there' });
  }
}

/**
 * bindkeys-file, or named's default /etc/bind/bind.keys (`named -V`, "DNSSEC root key"), which named
 * reads at every start when it exists (its trust anchors for dnssec-validation auto; without it named
 * uses the same keys built in): the default comes in when the host has it, a named one is optional.
 */
function followBindkeys(context: Context, optionsFile: string): void {
  const set = stringValue(context.options, 'bindkeys-file');
  if (set) context.out.config({ path: inDir(context.cwd, set.value), by: set.file, what: 'options.bindkeys-file', optional: true });
  else if (resolveInRoot(context.root, NAMED_DEFAULT_BINDKEYS)) {
    context.out.config({ path: NAMED_DEFAULT_BINDKEYS, by: optionsFile, what: `options.bindkeys-file (default ${NAMED_DEFAULT_BINDKEYS}): named reads the root trust anchors there at start` });
  }
}

/** geoip-directory (default /usr/share/GeoIP): the databases named opens at start, those the host has. */
function followGeoip(statements: NamedStatement[], optionsFile: string, context: Context): void {
  const set = stringValue(statements, 'geoip-directory');
  if (set?.value === 'none') return;
  const dir = set ? inDir(context.cwd, set.value) : NAMED_GEOIP_DIR;
  const what = set ? 'options.geoip-directory' : `options.geoip-directory (default ${NAMED_GEOIP_DIR})`;
  for (const name of GEOIP_DATABASES) {
    const path = `${dir}/${name}`;
    if (resolveInRoot(context.root, path)) context.out.file({ path, by: set?.file ?? optionsFile, what: `${what}: named opens ${name} at start` });
  }
}

function followRunFileDefaults(config: string, out: FollowCollector): void {
  for (const name of RUN_FILE_OPTIONS) {
    const file = NAMED_DEFAULT_PATHS[name];
    out.writable({ path: posix.dirname(file), by: config, what: `options.${name} (default ${file}): ${RUN_FILE_WHY[name]}` });
  }
}

function followZones(statements: NamedStatement[], view: NamedStatement[] | undefined, context: Context): void {
  for (const zone of statementsNamed(statements, 'zone')) followZone(zone, view, context);
}

function followZone(zone: NamedStatement, view: NamedStatement[] | undefined, context: Context): void {
  const { cwd, out } = context;
  const name = zone.words[1]?.kind === 'string' || zone.words[1]?.kind === 'word' ? zone.words[1].text : '?';
  const body = blockOf(zone)?.statements ?? [];
  const scopes = [body, view ?? [], context.options];
  const type = wordValue(body, 'type')?.toLowerCase() ?? '';
  const file = stringValue(body, 'file');
  const label = `zone "${name}"`;
  if (!file) return;
  const path = inDir(cwd, file.value);
  const dir = posix.dirname(path);
  const journalSetting = stringValue(body, 'journal');
  const journal = journalSetting ? inDir(cwd, journalSetting.value) : `${path}.jnl`;
  if ((TRANSFERRED_ZONE_TYPES as readonly string[]).includes(type)) {
    out.writable({ path: dir, by: file.file, what: `${label} file: named writes the ${type} copy it transfers` });
    out.state({ path, by: file.file, what: `${label} file: the copy named last transferred` }, 'written');
    out.state({ path: journal, by: file.file, what: `${label} journal of transfers` }, 'written');
  } else {
    out.file({ path, by: file.file, what: `${label} file` });
    if (!isBinaryFormat(scopes)) {
      for (const included of zoneFileIncludes(context.root, path, cwd)) out.file({ path: included.path, by: included.by, what: `${label} $INCLUDE` });
    }
    const primary = (PRIMARY_ZONE_TYPES as readonly string[]).includes(type);
    if (primary && isDynamic(scopes)) {
      out.writable({ path: dir, by: file.file, what: `${label} file: named writes the journal of dynamic updates (.jnl) beside it` });
      out.writable({ path, by: file.file, what: `${label} file: named rewrites it with the dynamic updates` });
      out.state({ path: journal, by: file.file, what: `${label} journal of dynamic updates` }, 'written');
    } else if (primary && keepsDifferences(scopes)) {
      out.writable({ path: dir, by: file.file, what: `${label} file: ixfr-from-differences: named writes the journal of differences (.jnl) beside it` });
      out.state({ path: journal, by: file.file, what: `${label} journal of differences` }, 'written');
    }
  }
  if (journalSetting) out.writable({ path: posix.dirname(journal), by: journalSetting.file, what: `${label} journal` });
  const keys = stringValue(body, 'key-directory');
  if (keys) out.writable({ path: inDir(cwd, keys.value), by: keys.file, what: `${label} key-directory: named reads and writes its DNSSEC keys there` });
  if (isSigned(scopes)) followSigning(name, label, path, file.file, scopes, context);
}

/** Inline signing or a DNSSEC policy: named writes the signed copy beside the zone file, and keys in the key directory. */
function followSigning(name: string, label: string, path: string, by: string, scopes: NamedStatement[][], context: Context): void {
  const { cwd, out } = context;
  out.writable({ path: posix.dirname(path), by, what: `${label} file: named writes the signed copy (.signed, .signed.jnl, .jbk) beside it` });
  out.state({ path: `${path}.signed`, by, what: `${label}: the signed copy` }, 'written');
  out.state({ path: `${path}.signed.jnl`, by, what: `${label}: the journal of the signed copy` }, 'written');
  const setting = inherited(scopes, 'key-directory');
  const keys = setting ? inDir(cwd, setting.value) : cwd;
  out.writable({ path: keys, by: setting?.file ?? by, what: `${label} key-directory${setting ? '' : ' (default: the working directory)'}: named reads its DNSSEC keys there and writes new ones` });
  const prefix = `k${name.toLowerCase().replace(/\.$/, '')}.+`;
  for (const key of namesIn(context.root, keys, /^K.*\.(key|private|state)$/)) {
    if (!key.toLowerCase().startsWith(prefix)) continue;
    const secret = key.endsWith('.private');
    const what = `${label}: DNSSEC ${secret ? 'private key, readable only by root and the service group' : 'key'}`;
    out.state({ path: `${keys}/${key}`, by: setting?.file ?? by, what, ...(secret ? { private: true } : {}) }, key.endsWith('.state') ? 'written' : 'read');
  }
}

/** `plugin`, `dlz ... database "dlopen LIB"` and `dyndb NAME "LIB"`: named dlopens each when it reads the config, after its chroot. */
function followLoadedLibraries(statements: NamedStatement[], out: FollowCollector): void {
  for (const plugin of statementsNamed(statements, 'plugin')) {
    const word = plugin.words[2];
    if (!word || word.kind === 'block') continue;
    const path = word.text.includes('/') ? normalizeRootPath(word.text) : `${NAMED_PLUGIN_DIR}/${word.text}`;
    out.config({ path, by: plugin.file, what: 'plugin: named loads it with dlopen when it reads the config', loaded: true });
  }
  for (const dlz of statementsNamed(statements, 'dlz')) {
    const database = stringValue(blockOf(dlz)?.statements ?? [], 'database');
    const [driver, library] = database?.value.trim().split(/\s+/) ?? [];
    if (!database || driver !== 'dlopen' || !library) continue;
    out.config({ path: absoluteLibrary(library, database, 'dlz database "dlopen LIBRARY ..."'), by: database.file, what: 'dlz database: named loads the driver with dlopen', loaded: true });
  }
  for (const dyndb of statementsNamed(statements, 'dyndb')) {
    const library = dyndb.words[2];
    if (!library || library.kind === 'block') continue;
    const at = { value: library.text, file: dyndb.file, line: dyndb.line };
    out.config({ path: absoluteLibrary(library.text, at, 'dyndb NAME "LIBRARY"'), by: dyndb.file, what: 'dyndb: named loads the library with dlopen', loaded: true });
  }
}

/** A library named passes to dlopen as written: a bare name would be looked up in the loader's path, so it must be absolute. */
function absoluteLibrary(library: string, at: { file: string; line: number }, statement: string): string {
  if (!library.startsWith('/')) throw syntaxError(at.file, at.line, `${statement} names "${library}", which is not an absolute path`, 'name the library by its absolute path');
  return normalizeRootPath(library);
}

/** `tls NAME { key-file ...; cert-file ...; };`: the key and certificates of DNS over TLS. */
function followTls(statements: NamedStatement[], context: Context): void {
  for (const tls of statementsNamed(statements, 'tls')) {
    const name = tls.words[1]?.kind === 'block' ? '?' : (tls.words[1]?.text ?? '?');
    for (const option of TLS_FILE_OPTIONS) {
      const found = stringValue(blockOf(tls)?.statements ?? [], option);
      if (!found) continue;
      // The private key is a secret even where the host leaves it readable to others.
      context.out.file({ path: inDir(context.cwd, found.value), by: found.file, what: `tls "${name}" ${option}`, ...(option === 'key-file' ? { private: true } : {}) });
    }
  }
}

/** True when named accepts updates to the zone (it then writes a journal and rewrites the file): `update-policy`, or an `allow-update` other than `none`, from the zone, its view or options. */
function isDynamic(scopes: NamedStatement[][]): boolean {
  if (scopes.some((scope) => statementsNamed(scope, 'update-policy').length > 0)) return true;
  const allow = scopes.map((scope) => statementsNamed(scope, 'allow-update').at(-1)).find((s) => s !== undefined);
  if (!allow) return false;
  const list = blockOf(allow)?.statements ?? [];
  return !(list.length === 1 && list[0]?.words.length === 1 && list[0].words[0]?.kind === 'word' && list[0].words[0].text === 'none');
}

/** `ixfr-from-differences yes|primary|master` (inherited): named keeps a journal of what changed between reloads. */
function keepsDifferences(scopes: NamedStatement[][]): boolean {
  const value = inherited(scopes, 'ixfr-from-differences')?.value.toLowerCase();
  return value === 'yes' || value === 'true' || value === 'primary' || value === 'master';
}

/** `inline-signing yes`, a `dnssec-policy` other than `none`, or `auto-dnssec allow|maintain`: named signs the zone and keeps its keys. */
function isSigned(scopes: NamedStatement[][]): boolean {
  const inline = inherited(scopes, 'inline-signing')?.value.toLowerCase();
  const policy = inherited(scopes, 'dnssec-policy')?.value.toLowerCase();
  const auto = inherited(scopes, 'auto-dnssec')?.value.toLowerCase();
  return inline === 'yes' || inline === 'true' || (policy !== undefined && policy !== 'none') || auto === 'allow' || auto === 'maintain';
}

/** `masterfile-format raw|map`: a binary zone file, which has no $INCLUDE. */
function isBinaryFormat(scopes: NamedStatement[][]): boolean {
  const format = inherited(scopes, 'masterfile-format')?.value.toLowerCase();
  return format === 'raw' || format === 'map';
}

function followLogging(statements: NamedStatement[], context: Context): void {
  for (const channel of statementsNamed(statements, 'channel')) {
    const file = stringValue(blockOf(channel)?.statements ?? [], 'file');
    const name = channel.words[1]?.kind === 'block' ? '?' : (channel.words[1]?.text ?? '?');
    if (file) context.out.writable({ path: posix.dirname(inDir(context.cwd, file.value)), by: file.file, what: `logging channel "${name}" file: named appends its log there` });
  }
}

/**
 * Collects results in config order; the first reason for a path wins. A directory named writes must
 * never hold its configuration (it could replace it, or a library it loads): refused in one line.
 */
class FollowCollector {
  private readonly files = new Map<string, FollowedFile>();
  private readonly dirs = new Map<string, FollowedWritable>();
  private readonly configs: FollowedFile[] = [];

  constructor(
    private readonly root: string,
    private readonly configPath: string,
  ) {}

  file(entry: FollowedFile): void {
    if (!this.files.has(entry.path)) this.files.set(entry.path, entry);
  }

  /** A file that decides what named does (config, include, loaded library): never inside a writable directory. */
  config(entry: FollowedFile): void {
    this.configs.push(entry);
    this.file(entry);
  }

  /** State named left on the host, when the host has it. */
  state(entry: Omit<FollowedFile, 'state'>, kind: 'read' | 'written'): void {
    if (this.files.has(entry.path)) return;
    const found = resolveInRoot(this.root, entry.path, { followFinal: false });
    if (found?.stats.isFile()) this.file({ ...entry, state: kind });
  }

  writable(entry: FollowedWritable): void {
    if (entry.path === '/') {
      throw syntaxError(entry.by, 0, `${entry.what} would make / writable`, 'point it at a directory such as /var/cache/bind');
    }
    if (!this.dirs.has(entry.path)) this.dirs.set(entry.path, entry);
  }

  result(): ConfigFollowResult {
    this.refuseWritableConfig();
    return { files: [...this.files.values()], writable: [...this.dirs.values()] };
  }

  private refuseWritableConfig(): void {
    for (const dir of this.dirs.values()) {
      const swallowed = this.configs.find((c) => c.path.startsWith(`${dir.path}/`));
      if (!swallowed) continue;
      throw syntaxError(dir.by, 0, `${dir.path} must be writable (${dir.what}) but holds ${swallowed.path} (${swallowed.what}), which named could then replace`, `keep what named writes in a directory of its own (such as /var/lib/bind) and name it there; ${this.configPath} and its includes stay read-only`);
    }
  }
}

/** The names in directory `dir` (inside `root`) that match `pattern`, sorted; none when it is not a directory. */
function namesIn(root: string, dir: string, pattern: RegExp): string[] {
  const found = resolveInRoot(root, dir);
  if (!found?.stats.isDirectory()) return [];
  return readdirSync(hostPath(root, found.real)).filter((n) => pattern.test(n)).sort();
}

function inDir(cwd: string, value: string): string {
  return normalizeRootPath(value.startsWith('/') ? value : posix.join(cwd, value));
}

function keywordOf(statement: NamedStatement): string | undefined {
  const first = statement.words[0];
  return first?.kind === 'word' ? first.text.toLowerCase() : undefined;
}

function statementsNamed(statements: NamedStatement[], keyword: string): NamedStatement[] {
  return statements.filter((s) => keywordOf(s) === keyword);
}

function blockOf(statement: NamedStatement): { statements: NamedStatement[] } | undefined {
  const block = statement.words.findLast((w): w is Extract<NamedWord, { kind: 'block' }> => w.kind === 'block');
  return block;
}

function findBlock(statements: NamedStatement[], keyword: string): { statements: NamedStatement[]; file: string } | undefined {
  const statement = statementsNamed(statements, keyword)[0];
  const block = statement && blockOf(statement);
  return block && statement ? { statements: block.statements, file: statement.file } : undefined;
}

interface Setting {
  value: string;
  file: string;
  line: number;
}

/** The value of `keyword "value";` (quoted or bare), with where it is said; the last one wins, as in named. */
function stringValue(statements: NamedStatement[], keyword: string): Setting | undefined {
  const statement = statementsNamed(statements, keyword).at(-1);
  const word = statement?.words[1];
  if (!statement || !word || word.kind === 'block') return undefined;
  return { value: word.text, file: statement.file, line: statement.line };
}

/** The setting as the zone sees it: its own, else its view's, else the options'. */
function inherited(scopes: NamedStatement[][], keyword: string): Setting | undefined {
  for (const scope of scopes) {
    const found = stringValue(scope, keyword);
    if (found) return found;
  }
  return undefined;
}

function wordValue(statements: NamedStatement[], keyword: string): string | undefined {
  return stringValue(statements, keyword)?.value;
}

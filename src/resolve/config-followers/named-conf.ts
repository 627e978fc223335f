// Follows a BIND named.conf the way named reads it: every file it opens (includes, zone files,
// bindkeys-file, plugins, TLS keys and certificates) and every directory it writes (working directory,
// pid/session-key/lock directories, managed keys, key-directory, secondary and dynamic zones, log
// files), each with the statement that says so.
// A dynamic zone's file is both: read from the host on the first build, then owned by named (writable).
import { posix } from 'node:path';
import { normalizeRootPath } from '../../fs/path-in-root.js';
import { type NamedStatement, type NamedWord, parseNamedConf, syntaxError } from './named-conf-syntax.js';
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

/** Where Debian's named looks for a `plugin` given by a bare file name. */
export const NAMED_PLUGIN_DIR = '/usr/lib/x86_64-linux-gnu/bind';

/** Files of a `tls` block that named reads (DNS over TLS and HTTPS). */
const TLS_FILE_OPTIONS = ['key-file', 'cert-file', 'ca-file', 'dhparam-file'] as const;

/** Zone types whose file named writes itself from a zone transfer. */
const TRANSFERRED_ZONE_TYPES = ['secondary', 'slave', 'stub', 'mirror'] as const;

export const namedConfFollower: ConfigFollower = {
  format: 'named.conf',
  follow: followNamedConf,
};

export function followNamedConf(root: string, path: string, text?: string): ConfigFollowResult {
  const config = normalizeRootPath(path);
  const parsed = parseNamedConf(root, config, text);
  const out = new FollowCollector();
  out.file({ path: config, by: config, what: 'named.conf: the configuration named reads (-c)' });
  for (const include of parsed.includes) out.file({ path: include.path, by: include.by, what: 'include' });
  const options = findBlock(parsed.statements, 'options');
  const directory = options ? stringValue(options.statements, 'directory') : undefined;
  const cwd = directory?.value ?? '/';
  if (options) followOptions(options, cwd, out);
  else followRunFileDefaults(config, out);
  followZones(parsed.statements, cwd, out);
  for (const view of statementsNamed(parsed.statements, 'view')) followZones(blockOf(view)?.statements ?? [], cwd, out);
  const logging = findBlock(parsed.statements, 'logging');
  if (logging) followLogging(logging.statements, cwd, out);
  followPlugins(parsed.statements, out);
  followTls(parsed.statements, cwd, out);
  return out.result();
}

function followOptions(options: { statements: NamedStatement[]; file: string }, cwd: string, out: FollowCollector): void {
  const { statements } = options;
  const directory = stringValue(statements, 'directory');
  if (directory) out.writable({ path: cwd, by: directory.file, what: 'options.directory: working directory (managed keys, journals, dumps)' });
  const bindkeys = stringValue(statements, 'bindkeys-file');
  if (bindkeys) {
    out.file({ path: inDir(cwd, bindkeys.value), by: bindkeys.file, what: 'options.bindkeys-file', optional: true });
  }
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
}

function followRunFileDefaults(config: string, out: FollowCollector): void {
  for (const name of RUN_FILE_OPTIONS) {
    const file = NAMED_DEFAULT_PATHS[name];
    out.writable({ path: posix.dirname(file), by: config, what: `options.${name} (default ${file}): ${RUN_FILE_WHY[name]}` });
  }
}

function followZones(statements: NamedStatement[], cwd: string, out: FollowCollector): void {
  for (const zone of statementsNamed(statements, 'zone')) {
    const name = zone.words[1]?.kind === 'string' || zone.words[1]?.kind === 'word' ? zone.words[1].text : '?';
    const body = blockOf(zone)?.statements ?? [];
    const type = wordValue(body, 'type')?.toLowerCase();
    const file = stringValue(body, 'file');
    const journal = stringValue(body, 'journal');
    const label = `zone "${name}"`;
    if (!file) continue;
    const path = inDir(cwd, file.value);
    if (type && (TRANSFERRED_ZONE_TYPES as readonly string[]).includes(type)) {
      out.writable({ path: posix.dirname(path), by: file.file, what: `${label} file: named writes the ${type} copy it transfers` });
      continue;
    }
    out.file({ path, by: file.file, what: `${label} file` });
    if (isDynamic(body)) {
      out.writable({ path: posix.dirname(path), by: file.file, what: `${label} file: named writes the journal of dynamic updates (.jnl) beside it` });
      out.writable({ path, by: file.file, what: `${label} file: named rewrites it with the dynamic updates` });
    }
    if (journal) out.writable({ path: posix.dirname(inDir(cwd, journal.value)), by: journal.file, what: `${label} journal` });
    const keys = stringValue(body, 'key-directory');
    if (keys) out.writable({ path: inDir(cwd, keys.value), by: keys.file, what: `${label} key-directory: named reads and writes its DNSSEC keys there` });
  }
}

/** `plugin query "filter-aaaa.so";`: named dlopens it when it loads the config, after its chroot. */
function followPlugins(statements: NamedStatement[], out: FollowCollector): void {
  const views = statementsNamed(statements, 'view').map((v) => blockOf(v)?.statements ?? []);
  for (const plugin of [statements, ...views].flatMap((list) => statementsNamed(list, 'plugin'))) {
    const word = plugin.words[2];
    if (!word || word.kind === 'block') continue;
    const path = word.text.includes('/') ? normalizeRootPath(word.text) : `${NAMED_PLUGIN_DIR}/${word.text}`;
    out.file({ path, by: plugin.file, what: 'plugin: named loads it with dlopen when it reads the config' });
  }
}

/** `tls NAME { key-file ...; cert-file ...; };`: the key and certificates of DNS over TLS. */
function followTls(statements: NamedStatement[], cwd: string, out: FollowCollector): void {
  for (const tls of statementsNamed(statements, 'tls')) {
    const name = tls.words[1]?.kind === 'block' ? '?' : (tls.words[1]?.text ?? '?');
    for (const option of TLS_FILE_OPTIONS) {
      const found = stringValue(blockOf(tls)?.statements ?? [], option);
      if (found) out.file({ path: inDir(cwd, found.value), by: found.file, what: `tls "${name}" ${option}` });
    }
  }
}

/** True when named accepts updates to the zone (it then writes a journal and rewrites the file). */
function isDynamic(body: NamedStatement[]): boolean {
  if (statementsNamed(body, 'update-policy').length > 0) return true;
  const allow = statementsNamed(body, 'allow-update')[0];
  if (!allow) return false;
  const list = blockOf(allow)?.statements ?? [];
  return !(list.length === 1 && list[0]?.words.length === 1 && list[0].words[0]?.kind === 'word' && list[0].words[0].text === 'none');
}

function followLogging(statements: NamedStatement[], cwd: string, out: FollowCollector): void {
  for (const channel of statementsNamed(statements, 'channel')) {
    const file = stringValue(blockOf(channel)?.statements ?? [], 'file');
    const name = channel.words[1]?.kind === 'block' ? '?' : (channel.words[1]?.text ?? '?');
    if (file) out.writable({ path: posix.dirname(inDir(cwd, file.value)), by: file.file, what: `logging channel "${name}" file: named appends its log there` });
  }
}

/** Collects results in config order; the first reason for a path wins. */
class FollowCollector {
  private readonly files = new Map<string, FollowedFile>();
  private readonly dirs = new Map<string, FollowedWritable>();

  file(entry: FollowedFile): void {
    if (!this.files.has(entry.path)) this.files.set(entry.path, entry);
  }

  writable(entry: FollowedWritable): void {
    if (entry.path === '/') {
      throw syntaxError(entry.by, 0, `${entry.what} would make / writable`, 'point it at a directory such as /var/cache/bind');
    }
    if (!this.dirs.has(entry.path)) this.dirs.set(entry.path, entry);
  }

  result(): ConfigFollowResult {
    return { files: [...this.files.values()], writable: [...this.dirs.values()] };
  }
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

/** The value of `keyword "value";` (quoted or bare), with the file that says it; the last one wins, as in named. */
function stringValue(statements: NamedStatement[], keyword: string): { value: string; file: string } | undefined {
  const statement = statementsNamed(statements, keyword).at(-1);
  const word = statement?.words[1];
  if (!statement || !word || word.kind === 'block') return undefined;
  return { value: word.text, file: statement.file };
}

function wordValue(statements: NamedStatement[], keyword: string): string | undefined {
  return stringValue(statements, keyword)?.value;
}

// Follows an nginx.conf the way nginx reads it: every file it opens (includes with their globs, mime
// types, `root`/`alias` directories, TLS certificates and keys, password files, `load_module` modules)
// and every directory it writes (pid, logs, the temporary paths of the http modules, with nginx's
// compiled-in defaults when the config names none), each with the file and line that says so.
// Relative paths resolve as nginx resolves them: `include` and TLS files against the directory of the
// main config, everything else against the prefix nginx was built with.
import { posix } from 'node:path';
import { EXIT, MkjailError } from '../../errors.js';
import { globInRoot, isGlob } from '../../fs/glob-in-root.js';
import { normalizeRootPath } from '../../fs/path-in-root.js';
import { readConfigFile } from './read-config-file.js';
import type { ConfigFollower, ConfigFollowResult, FollowedFile, FollowedWritable } from './types.js';

/** What Debian 12's nginx was built with (`nginx -V`: --prefix, --pid-path, --http-*-path). */
export const NGINX_DEFAULTS = {
  prefix: '/usr/share/nginx',
  pid: '/run/nginx.pid',
  accessLog: '/var/log/nginx/access.log',
  tempPaths: {
    client_body_temp_path: '/var/lib/nginx/body',
    proxy_temp_path: '/var/lib/nginx/proxy',
    fastcgi_temp_path: '/var/lib/nginx/fastcgi',
    uwsgi_temp_path: '/var/lib/nginx/uwsgi',
    scgi_temp_path: '/var/lib/nginx/scgi',
  },
} as const;
type TempPathDirective = keyof typeof NGINX_DEFAULTS.tempPaths;
const TEMP_PATH_DIRECTIVES = Object.keys(NGINX_DEFAULTS.tempPaths) as TempPathDirective[];

/** TLS and password files nginx reads (any `proxy_`, `grpc_`, `uwsgi_` ... prefix too); `private` ones are secrets. */
const READ_FILE_DIRECTIVES: Array<{ pattern: RegExp; private: boolean }> = [
  { pattern: /^(\w+_)?ssl_certificate_key$/, private: true },
  { pattern: /^(\w+_)?ssl_password_file$/, private: true },
  { pattern: /^ssl_session_ticket_key$/, private: true },
  { pattern: /^auth_basic_user_file$/, private: true },
  { pattern: /^(\w+_)?ssl_(certificate|trusted_certificate|client_certificate|crl|dhparam|stapling_file)$/, private: false },
];

/** A directive: `name args...;` or `name args... { block }`, with the file and line it starts on. */
export interface NginxDirective {
  name: string;
  args: string[];
  file: string;
  line: number;
  block?: NginxDirective[];
}

export const nginxConfFollower: ConfigFollower = { format: 'nginx.conf', follow: followNginxConf };

export function followNginxConf(root: string, path: string, text?: string): ConfigFollowResult {
  const config = normalizeRootPath(path);
  const out = new Collector();
  out.file({ path: config, by: config, what: 'nginx.conf: the configuration nginx reads (-c)' });
  const directives = parseNginxFile(root, config, { confDir: posix.dirname(config), out, stack: [] }, text);
  const at = { root, confDir: posix.dirname(config), out };
  followMain(directives, config, at);
  return out.result();
}

interface Where {
  root: string;
  confDir: string;
  out: Collector;
}

function followMain(directives: NginxDirective[], config: string, at: Where): void {
  walk(directives, (d) => followDirective(d, at));
  const pid = directives.find((d) => d.name === 'pid');
  if (!pid) writableParent(at, NGINX_DEFAULTS.pid, config, `pid (compiled-in default ${NGINX_DEFAULTS.pid}): nginx writes its pid file there`);
  for (const http of directives.filter((d) => d.name === 'http')) followHttpDefaults(http, at);
}

/** What nginx writes for an http block when the block itself does not say: temp paths and the access log. */
function followHttpDefaults(http: NginxDirective, at: Where): void {
  const own = http.block ?? [];
  for (const name of TEMP_PATH_DIRECTIVES) {
    if (own.some((d) => d.name === name)) continue;
    const path = NGINX_DEFAULTS.tempPaths[name];
    at.out.writable({ path, by: http.file, what: `${name} (compiled-in default ${path}, for the http block at line ${http.line}): nginx creates it and writes request bodies and buffered responses there` });
  }
  if (!own.some((d) => d.name === 'access_log')) {
    writableParent(at, NGINX_DEFAULTS.accessLog, http.file, `access_log (compiled-in default ${NGINX_DEFAULTS.accessLog}, for the http block at line ${http.line}): nginx appends its access log there`);
  }
}

function followDirective(d: NginxDirective, at: Where): void {
  const [value] = d.args;
  const label = `${d.name}, line ${d.line}`;
  if (value === undefined) return;
  if (d.name === 'load_module') {
    at.out.file({ path: inPrefix(value), by: d.file, what: `${label}: nginx loads the module at start`, loaded: true });
  } else if (d.name === 'pid') {
    writableParent(at, inPrefix(value), d.file, `${label}: nginx writes its pid file there`);
  } else if (d.name === 'error_log' || d.name === 'access_log') {
    followLog(d, value, at);
  } else if ((TEMP_PATH_DIRECTIVES as string[]).includes(d.name)) {
    at.out.writable({ path: inPrefix(value), by: d.file, what: `${label}: nginx creates it and writes temporary files there` });
  } else if (d.name === 'root' || d.name === 'alias') {
    if (hasVariable(value)) at.out.warn(`${d.file}:${d.line}: ${d.name} ${value} is built from variables, so mkjail can't tell which directory nginx serves: add it to the recipe's files`);
    else at.out.file({ path: inPrefix(value), by: d.file, what: `${label}: the directory nginx serves files from` });
  } else {
    followReadFile(d, value, at);
  }
}

function followLog(d: NginxDirective, value: string, at: Where): void {
  if (value === 'off' || value === 'stderr' || value === '/dev/null' || /^(syslog|memory):/.test(value)) return;
  if (hasVariable(value)) {
    at.out.warn(`${d.file}:${d.line}: ${d.name} ${value} is built from variables: its directory must be writable; declare it in the recipe's writable`);
    return;
  }
  const what = d.name === 'error_log' ? 'nginx appends its error log there' : 'nginx appends its access log there';
  writableParent(at, inPrefix(value), d.file, `${d.name}, line ${d.line}: ${what}`);
}

function followReadFile(d: NginxDirective, value: string, at: Where): void {
  const kind = READ_FILE_DIRECTIVES.find((k) => k.pattern.test(d.name));
  if (!kind || /^(data|engine):/.test(value)) return;
  if (hasVariable(value)) {
    at.out.warn(`${d.file}:${d.line}: ${d.name} ${value} is built from variables (nginx loads it per request): add the files it can name to the recipe's files`);
    return;
  }
  const what = `${d.name}, line ${d.line}${kind.private ? ': a secret, readable only by root and the service group' : ''}`;
  at.out.file({ path: inDir(at.confDir, value), by: d.file, what, ...(kind.private ? { private: true } : {}) });
}

function writableParent(at: Where, file: string, by: string, what: string): void {
  at.out.writable({ path: posix.dirname(file), by, what });
}

function inPrefix(value: string): string {
  return inDir(NGINX_DEFAULTS.prefix, value);
}

function inDir(dir: string, value: string): string {
  return normalizeRootPath(value.startsWith('/') ? value : posix.join(dir, value));
}

function hasVariable(value: string): boolean {
  return /\$(\w|\{)/.test(value);
}

function walk(directives: NginxDirective[], visit: (d: NginxDirective) => void): void {
  for (const d of directives) {
    visit(d);
    if (d.block) walk(d.block, visit);
  }
}

/** Collects results in config order; the first reason for a path wins. */
class Collector {
  private readonly files = new Map<string, FollowedFile>();
  private readonly dirs = new Map<string, FollowedWritable>();
  private readonly warnings: string[] = [];

  file(entry: FollowedFile): void {
    if (!this.files.has(entry.path)) this.files.set(entry.path, entry);
  }

  writable(entry: FollowedWritable): void {
    if (entry.path === '/') throw nginxSyntaxError(entry.by, 0, `${entry.what} would make / writable`, 'point it at a directory of its own, such as /run/nginx');
    if (!this.dirs.has(entry.path)) this.dirs.set(entry.path, entry);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  result(): ConfigFollowResult {
    return { files: [...this.files.values()], writable: [...this.dirs.values()], ...(this.warnings.length > 0 ? { warnings: this.warnings } : {}) };
  }
}

// ---- the grammar: words, quoted strings, `;`, `{ }`, `#` comments; `include` spliced in place ----

interface ParseState {
  confDir: string;
  out: Collector;
  stack: string[];
}

type Token = { kind: 'word' | '{' | '}' | ';'; text: string; line: number };

/** Parses the nginx config file at `path` (inside `root`), every include spliced in where it stands. */
export function parseNginxFile(root: string, path: string, state: ParseState, text?: string): NginxDirective[] {
  if (state.stack.includes(path)) {
    throw nginxSyntaxError(path, 0, `include loop (${[...state.stack, path].join(' -> ')})`, 'remove the include that points back');
  }
  const tokens = tokenize(text ?? readNginxFile(root, path, state.stack.at(-1)), path);
  const reader = { tokens, next: 0 };
  const directives = parseBlock(reader, path, false);
  return splice(root, directives, { ...state, stack: [...state.stack, path] });
}

function splice(root: string, directives: NginxDirective[], state: ParseState): NginxDirective[] {
  const out: NginxDirective[] = [];
  for (const d of directives) {
    if (d.name !== 'include') {
      out.push(d.block ? { ...d, block: splice(root, d.block, state) } : d);
      continue;
    }
    const [pattern] = d.args;
    if (d.args.length !== 1 || pattern === undefined) throw nginxSyntaxError(d.file, d.line, 'include takes exactly one file name or pattern', 'write include /etc/nginx/conf.d/*.conf;');
    const full = inDir(state.confDir, pattern);
    const matches = isGlob(full) ? globInRoot(root, full) : [full];
    for (const file of matches) {
      state.out.file({ path: file, by: d.file, what: `include ${pattern}, line ${d.line}` });
      out.push(...parseNginxFile(root, file, state));
    }
  }
  return out;
}

function readNginxFile(root: string, path: string, by: string | undefined): string {
  return readConfigFile(root, path, by, {
    format: 'nginx.conf',
    missingHint: 'fix the path or the include (a pattern with * may match nothing; a plain name must exist)',
    unreadableHint: 'run as a user who can read the nginx configuration (root)',
  });
}


function parseBlock(reader: { tokens: Token[]; next: number }, file: string, inBlock: boolean): NginxDirective[] {
  const directives: NginxDirective[] = [];
  let words: Token[] = [];
  while (reader.next < reader.tokens.length) {
    const token = reader.tokens[reader.next++] as Token;
    if (token.kind === 'word') {
      words.push(token);
      continue;
    }
    if (token.kind === '}') {
      if (!inBlock) throw nginxSyntaxError(file, token.line, 'unexpected "}"', 'remove it, or add the "{" it closes');
      if (words.length > 0) throw nginxSyntaxError(file, token.line, `"${words.map((w) => w.text).join(' ')}" is not ended by ";"`, 'end the directive with ";"');
      return directives;
    }
    const [name, ...args] = words;
    if (!name) throw nginxSyntaxError(file, token.line, `unexpected "${token.text}"`, 'remove it, or put a directive name before it');
    const directive: NginxDirective = { name: name.text, args: args.map((a) => a.text), file, line: name.line };
    if (token.kind === '{') directive.block = parseBlock(reader, file, true);
    directives.push(directive);
    words = [];
  }
  if (inBlock) throw nginxSyntaxError(file, reader.tokens.at(-1)?.line ?? 0, 'a "{" is never closed', 'add the missing "}"');
  if (words.length > 0) throw nginxSyntaxError(file, words[0]?.line ?? 0, `"${words.map((w) => w.text).join(' ')}" is not ended by ";"`, 'end the directive with ";"');
  return directives;
}

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '\n') line++;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === ';' || ch === '{' || ch === '}') {
      tokens.push({ kind: ch, text: ch, line });
      i++;
    } else if (ch === '"' || ch === "'") {
      const start = line;
      let value = '';
      i++;
      while (i < text.length && text[i] !== ch) {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        if (text[i] === '\n') line++;
        value += text[i];
        i++;
      }
      if (i >= text.length) throw nginxSyntaxError(file, start, `a ${ch} string is never closed`, `add the closing ${ch}`);
      i++;
      tokens.push({ kind: 'word', text: value, line: start });
    } else {
      let value = '';
      while (i < text.length) {
        const c = text[i] as string;
        // As nginx's own reader: only space, ";" and a "{" that does not open a ${variable} end a word.
        if (/\s/.test(c) || c === ';' || (c === '{' && !value.endsWith('$'))) break;
        if (c === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      tokens.push({ kind: 'word', text: value, line });
    }
  }
  return tokens;
}

export function nginxSyntaxError(path: string, line: number, found: string, hint: string): MkjailError {
  return new MkjailError(`Can't parse nginx.conf at ${path}${line > 0 ? `:${line}` : ''}: ${found}`, { exitCode: EXIT.badInput, hint });
}

// Follows an unbound.conf the way unbound reads it: `include:` and `include-toplevel:` (with globs) spliced
// in, the working `directory:` for relative names, root hints and trust anchors (an auto-trust-anchor-file
// is rewritten by unbound: its directory must be writable), TLS and remote-control keys (secrets) and
// certificates, the pid file and log file directories; each with the file and line that names it.
// One `name: value` per line, as unbound's own examples and Debian's configs write it.
import { posix } from 'node:path';
import { EXIT, MkjailError } from '../../errors.js';
import { globInRoot, isGlob } from '../../fs/glob-in-root.js';
import { normalizeRootPath } from '../../fs/path-in-root.js';
import { readConfigFile } from './read-config-file.js';
import type { ConfigFollower, ConfigFollowResult, FollowedFile, FollowedWritable } from './types.js';

/** What Debian 12's unbound was built with (`unbound -V`: --with-pidfile, --with-rootkey-file). */
export const UNBOUND_DEFAULTS = { pidfile: '/run/unbound.pid', directory: '/etc/unbound' } as const;

/** Options naming a file unbound reads; `private` ones are secrets. */
const READ_OPTIONS: Record<string, { private: boolean }> = {
  'root-hints': { private: false },
  'trust-anchor-file': { private: false },
  'trusted-keys-file': { private: false },
  'tls-service-pem': { private: false },
  'tls-cert-bundle': { private: false },
  'server-cert-file': { private: false },
  'control-cert-file': { private: false },
  'tls-service-key': { private: true },
  'server-key-file': { private: true },
  'control-key-file': { private: true },
};

export interface UnboundOption {
  name: string;
  value: string;
  file: string;
  line: number;
}

export const unboundConfFollower: ConfigFollower = { format: 'unbound.conf', follow: followUnboundConf };

export function followUnboundConf(root: string, path: string, text?: string): ConfigFollowResult {
  const config = normalizeRootPath(path);
  const files = new Map<string, FollowedFile>();
  const dirs = new Map<string, FollowedWritable>();
  const file = (entry: FollowedFile) => files.has(entry.path) || files.set(entry.path, entry);
  const writable = (entry: FollowedWritable) => {
    if (entry.path === '/') throw unboundSyntaxError(entry.by, 0, `${entry.what} would make / writable`, 'point it at a directory of its own, such as /run/unbound');
    if (!dirs.has(entry.path)) dirs.set(entry.path, entry);
  };
  file({ path: config, by: config, what: 'unbound.conf: the configuration unbound reads (-c)' });
  const options = parseUnboundFile(root, config, [], (include) => file(include), text);
  const last = (name: string) => options.findLast((o) => o.name === name);
  const directory = last('directory')?.value ?? UNBOUND_DEFAULTS.directory;
  const chroot = last('chroot')?.value ?? '';
  const inJail = (value: string) => {
    const full = normalizeRootPath(value.startsWith('/') ? value : posix.join(directory, value));
    return chroot && (full === chroot || full.startsWith(`${chroot}/`)) ? normalizeRootPath(full.slice(chroot.length)) : full;
  };
  const label = (o: UnboundOption) => `${o.name}, line ${o.line}`;
  for (const o of options) {
    if (o.value === '') continue;
    const kind = READ_OPTIONS[o.name];
    if (kind) file({ path: inJail(o.value), by: o.file, what: `${label(o)}${kind.private ? ': a secret, readable only by root and the service group' : ''}`, ...(kind.private ? { private: true } : {}) });
    if (o.name === 'auto-trust-anchor-file') {
      const anchor = inJail(o.value);
      file({ path: anchor, by: o.file, what: `${label(o)}: the trust anchor unbound starts from` });
      writable({ path: posix.dirname(anchor), by: o.file, what: `${label(o)}: unbound rewrites the anchor there (a new file renamed over it)` });
    }
    if (o.name === 'logfile') writable({ path: posix.dirname(inJail(o.value)), by: o.file, what: `${label(o)}: unbound appends its log there` });
  }
  const pid = last('pidfile');
  if (pid?.value !== '') {
    const where = pid ? inJail(pid.value) : UNBOUND_DEFAULTS.pidfile;
    writable({ path: posix.dirname(where), by: pid?.file ?? config, what: pid ? `${label(pid)}: unbound writes its pid file there` : `pidfile (compiled-in default ${where}): unbound writes its pid file there` });
  }
  return { files: [...files.values()], writable: [...dirs.values()] };
}

/** Every `name: value` of the file at `path` and of what it includes, in reading order. */
export function parseUnboundFile(root: string, path: string, stack: string[], onInclude: (f: FollowedFile) => void, text?: string): UnboundOption[] {
  if (stack.includes(path)) throw unboundSyntaxError(path, 0, `include loop (${[...stack, path].join(' -> ')})`, 'remove the include that points back');
  const out: UnboundOption[] = [];
  const lines = (text ?? readUnboundFile(root, path, stack.at(-1))).split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    const body = stripComment(raw).trim();
    if (body === '') return;
    const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(body);
    if (!match) throw unboundSyntaxError(path, line, `"${body}" is not "name: value"`, 'write one option per line as name: value');
    const name = (match[1] as string).toLowerCase();
    const value = unquote(match[2] as string, path, line);
    if (name === 'include' || name === 'include-toplevel') {
      const pattern = value;
      const matches = isGlob(pattern) ? globInRoot(root, normalizeRootPath(pattern)) : [normalizeRootPath(pattern)];
      for (const file of matches) {
        onInclude({ path: file, by: path, what: `${name} ${pattern}, line ${line}` });
        out.push(...parseUnboundFile(root, file, [...stack, path], onInclude));
      }
      return;
    }
    out.push({ name, value, file: path, line });
  });
  return out;
}

function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#') return line.slice(0, i);
  }
  return line;
}

/** The first value of an option: a quoted string, or the first bare word. */
function unquote(rest: string, path: string, line: number): string {
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    const end = rest.indexOf(quote, 1);
    if (end < 0) throw unboundSyntaxError(path, line, `a ${quote} string is never closed`, `add the closing ${quote}`);
    return rest.slice(1, end);
  }
  return rest.split(/\s+/)[0] ?? '';
}

function readUnboundFile(root: string, path: string, by: string | undefined): string {
  return readConfigFile(root, path, by, {
    format: 'unbound.conf',
    missingHint: 'fix the path or the include',
    unreadableHint: 'run as a user who can read the unbound configuration (root)',
  });
}

export function unboundSyntaxError(path: string, line: number, found: string, hint: string): MkjailError {
  return new MkjailError(`Can't parse unbound.conf at ${path}${line > 0 ? `:${line}` : ''}: ${found}`, { exitCode: EXIT.badInput, hint });
}

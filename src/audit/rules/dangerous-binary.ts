// Rule dangerous-binary: no shell, interpreter, compiler or privilege tool in a jail. Found by name
// (DANGEROUS_NAMES), and by use: the file a `#!` line in the jail names as its interpreter.
import type { AuditRule, RuleHit } from '../audit-rule.js';
import { baseName } from '../jail-view.js';
import { readHead, shebangInterpreter } from '../read-head.js';
import { resolveInRoot } from '../../fs/path-in-root.js';

/** Names (basename, exact or pattern) of programs an intruder uses to turn one bug into a foothold. */
export const DANGEROUS_NAMES: ReadonlyArray<{ kind: string; pattern: RegExp }> = [
  { kind: 'shell', pattern: /^(sh|bash|rbash|dash|ash|zsh|ksh|ksh93|mksh|pdksh|csh|tcsh|fish|busybox|toybox)$/ },
  {
    kind: 'interpreter',
    pattern: /^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|irb|node|nodejs|php[0-9.]*|lua[0-9.]*|luajit|tclsh[0-9.]*|wish[0-9.]*|expect|guile[0-9.]*|awk|gawk|mawk|nawk|java|jshell|Rscript)$/,
  },
  {
    kind: 'compiler',
    pattern: /^(?:[a-z0-9_]+-linux-gnu-)?(gcc|g\+\+|cc|c\+\+|cpp|clang|clang\+\+|tcc|ld|ld\.bfd|ld\.gold|as|make)(-[0-9.]+)?$/,
  },
  {
    kind: 'privilege tool',
    pattern: /^(su|sudo|doas|pkexec|mount|umount|chroot|pivot_root|unshare|nsenter|setpriv|capsh|setcap|mknod|insmod|modprobe|debugfs|gdb|strace)$/,
  },
];

/** Bytes read to find a `#!` line. */
const HEAD_BYTES = 256;

export const dangerousBinary: AuditRule = {
  id: 'dangerous-binary',
  severity: 'high',
  checks: 'a shell, interpreter, compiler, su/sudo, mount, chroot or similar tool (by name, or named by a #! line)',
  why: 'it turns a single bug in the service into arbitrary commands, new code, or a way out of the jail',
  fix: 'remove it from the jail; the service must not need it',
  check(jail) {
    const hits = new Map<string, RuleHit>();
    for (const entry of jail.entries) {
      if (entry.type !== 'file') continue;
      const kind = dangerousKind(baseName(entry.path));
      if (kind) hits.set(entry.path, { path: entry.path, found: `${kind} ${baseName(entry.path)}` });
    }
    for (const entry of jail.entries) {
      if (entry.type !== 'file' || entry.size < 3) continue;
      const interpreter = shebangInterpreter(readHead(entry.host, HEAD_BYTES));
      if (!interpreter) continue;
      const target = resolveQuietly(jail.realRoot, interpreter);
      if (!target || !target.stats.isFile() || hits.has(target.real)) continue;
      hits.set(target.real, { path: target.real, found: `interpreter named by the #! line of ${entry.path}` });
    }
    return [...hits.values()];
  },
};

export function dangerousKind(name: string): string | undefined {
  return DANGEROUS_NAMES.find((d) => d.pattern.test(name))?.kind;
}

/** The interpreter inside the jail, or undefined when it is absent or its path loops. */
function resolveQuietly(root: string, path: string): ReturnType<typeof resolveInRoot> {
  try {
    return resolveInRoot(root, path);
  } catch {
    return undefined;
  }
}

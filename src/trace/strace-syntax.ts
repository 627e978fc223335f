// Reads the text `strace -f -y -o FILE` writes: one record per system call, with the pid that made it,
// its arguments as strace printed them, and its result. A call another process interrupted comes as two
// lines (`openat(... <unfinished ...>` then `<... openat resumed>) = 3`); they are joined here.

export interface SyscallRecord {
  /** Order of the call's first line in the output (a resumed call keeps its start's place). */
  order: number;
  pid: number;
  name: string;
  /** The top-level arguments, as strace printed them (strings still quoted). */
  args: string[];
  /** The return value as a number, or undefined for `?`. */
  value: number | undefined;
  /** `ENOENT` and the like when the call failed. */
  errno: string | undefined;
  /** With -y, the path strace printed after a returned descriptor (`= 3</etc/passwd>`). */
  returnedPath: string | undefined;
}

const LINE = /^(\d+)\s+(.*)$/;
const UNFINISHED = ' <unfinished ...>';
const RESUMED = /^<\.\.\. ([A-Za-z0-9_]+) resumed>(.*)$/;
const CALL = /^([A-Za-z0-9_]+)\((.*)$/;

/** Every complete system call in `text`; signals, exits and a call still unfinished at the end are left out. */
export function parseStraceOutput(text: string): SyscallRecord[] {
  const records: SyscallRecord[] = [];
  const pending = new Map<number, { order: number; name: string; head: string }>();
  const lines = text.split('\n');
  for (let order = 0; order < lines.length; order++) {
    const match = LINE.exec(lines[order] ?? '');
    if (!match) continue;
    const pid = Number(match[1]);
    const rest = match[2] ?? '';
    const resumed = RESUMED.exec(rest);
    if (resumed) {
      const start = pending.get(pid);
      pending.delete(pid);
      if (start && start.name === resumed[1]) pushCall(records, start.order, pid, start.name, start.head + (resumed[2] ?? ''));
      continue;
    }
    const call = CALL.exec(rest);
    if (!call) continue;
    const name = call[1] ?? '';
    const body = call[2] ?? '';
    if (body.endsWith(UNFINISHED)) pending.set(pid, { order, name, head: body.slice(0, -UNFINISHED.length) });
    else pushCall(records, order, pid, name, body);
  }
  return records.sort((a, b) => a.order - b.order);
}

function pushCall(records: SyscallRecord[], order: number, pid: number, name: string, body: string): void {
  const split = splitTopLevel(body);
  if (!split) return;
  records.push({ order, pid, name, args: split.args, ...parseResult(split.after) });
}

/**
 * Splits `a, "b, c", {x=1, y=[2, 3]}) = 0` at its top-level commas up to the closing parenthesis,
 * respecting quotes (with backslash escapes) and brackets; returns undefined when it never closes.
 */
export function splitTopLevel(body: string): { args: string[]; after: string } | undefined {
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"') {
      i = endOfQuoted(body, i);
      continue;
    }
    if (c === '<') {
      // A -y decoration (`3</etc/x>`): strace escapes '<' and '>' inside it, so it ends at the next '>'.
      const close = body.indexOf('>', i);
      if (close > 0) i = close;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && depth > 0) depth--;
    else if (c === ')') {
      if (depth > 0) {
        depth--;
        continue;
      }
      const last = body.slice(start, i).trim();
      if (last !== '' || args.length > 0) args.push(last);
      return { args, after: body.slice(i + 1) };
    } else if (c === ',' && depth === 0) {
      args.push(body.slice(start, i).trim());
      start = i + 1;
    }
  }
  return undefined;
}

/** The index of the closing quote of the string opening at `open` (or the end of the text). */
function endOfQuoted(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length;
}

const RESULT = /^\s*=\s*(-?\d+|\?|0x[0-9a-f]+)(?:<(.*)>)?(?:\s+([A-Z][A-Z0-9]+)(?:\s+\(.*\))?)?/;

function parseResult(after: string): Pick<SyscallRecord, 'value' | 'errno' | 'returnedPath'> {
  const match = RESULT.exec(after);
  if (!match) return { value: undefined, errno: undefined, returnedPath: undefined };
  const raw = match[1] ?? '?';
  const value = raw === '?' ? undefined : Number(raw);
  const errno = value === -1 ? match[3] : undefined;
  return { value, errno, returnedPath: match[2] === undefined ? undefined : decodeAngled(match[2]) };
}

const SIMPLE_ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, e: 27, '"': 34, '\\': 92, "'": 39, '?': 63 };

/**
 * The bytes of a C string as strace prints it (`"/a\"b\303\251\x41"`), as UTF-8 text. Returns undefined
 * for what is not a quoted string (`NULL`, an address); a string strace cut short (`"..."...`) too.
 */
export function decodeQuoted(token: string): string | undefined {
  const text = token.trim();
  if (!text.startsWith('"')) return undefined;
  const close = endOfQuoted(text, 0);
  if (close >= text.length || text.slice(close + 1).startsWith('...')) return undefined;
  return Buffer.from(unescapeBytes(text.slice(1, close))).toString('utf8');
}

function unescapeBytes(body: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (next === 'x') {
      const hex = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i + 2))?.[0] ?? '';
      bytes.push(Number.parseInt(hex || '0', 16));
      i += 1 + hex.length;
    } else if (/[0-7]/.test(next)) {
      const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1))?.[0] ?? '0';
      bytes.push(Number.parseInt(octal, 8) & 0xff);
      i += octal.length;
    } else {
      bytes.push(SIMPLE_ESCAPES[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return bytes;
}

/** The path of a descriptor argument as -y prints it (`AT_FDCWD</tmp/x>`, `3</etc/ssl>`), or undefined. */
export function descriptorPath(token: string): string | undefined {
  const open = token.indexOf('<');
  if (open < 0 || !token.endsWith('>')) return undefined;
  const inner = token.slice(open + 1, -1);
  if (inner.startsWith('socket:') || inner.startsWith('pipe:') || inner.startsWith('anon_inode:')) return undefined;
  return decodeAngled(inner);
}

/** -y paths are printed raw, with only non-printable bytes escaped (`\x0a`, `\303`). */
function decodeAngled(inner: string): string {
  return inner.includes('\\') ? Buffer.from(unescapeBytes(inner)).toString('utf8') : inner;
}

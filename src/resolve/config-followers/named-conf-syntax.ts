// Reads BIND's configuration grammar into nested statements: comments, quoted strings, blocks, and
// `include` as named's own parser does it: the included files' tokens continue the includer's stream
// (a file may close a block its includer opened), a pattern names every file it matches (glob(3)),
// and each statement remembers its file and line.
import { EXIT, MkjailError } from '../../errors.js';
import { globInRoot, isGlob } from '../../fs/glob-in-root.js';
import { resolveInRoot } from '../../fs/path-in-root.js';
import { readConfigFile } from './read-config-file.js';

/** A word of a statement: a bare word, a quoted string, or a `{ ... }` block of statements. */
export type NamedWord =
  | { kind: 'word'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'block'; statements: NamedStatement[] };

export interface NamedStatement {
  words: NamedWord[];
  /** The config file (absolute, inside the root) and line the statement starts on. */
  file: string;
  line: number;
}

/** An included file: which file and statement named it. */
export interface NamedInclude {
  path: string;
  by: string;
}

export interface ParsedNamedConf {
  statements: NamedStatement[];
  /** Every file read after the first, in the order named reads them. */
  includes: NamedInclude[];
}

/** Blocks nested deeper than this are refused: no real configuration comes near it. */
export const MAX_BLOCK_DEPTH = 64;

type Token = { kind: 'word' | 'string' | '{' | '}' | ';'; text: string; line: number; file: string };

/** The files being read, the innermost last: named's lexer reads an included file before going on with its includer. */
class TokenStream {
  private readonly open: Array<{ path: string; tokens: Token[]; next: number }> = [];
  last: Token | undefined;

  constructor(
    readonly root: string,
    readonly includes: NamedInclude[],
  ) {}

  /** Opens `path` (its content is `text` when given: a config the recipe generates). */
  push(path: string, by: string | undefined, text?: string): void {
    const chain = this.open.map((f) => f.path);
    if (chain.includes(path)) throw syntaxError(chain[0] ?? path, 0, `include loop (${[...chain, path].join(' -> ')})`, 'remove the include that points back');
    this.open.push({ path, tokens: tokenize(text ?? readConfig(this.root, path, by), path), next: 0 });
  }

  next(): Token | undefined {
    for (;;) {
      const file = this.open.at(-1);
      if (!file) return undefined;
      const token = file.tokens[file.next++];
      if (token) {
        this.last = token;
        return token;
      }
      if (this.open.length === 1) return undefined;
      this.open.pop();
    }
  }
}

/** Parses the config at `path` (absolute, inside `root`) and every file it includes. */
export function parseNamedConf(root: string, path: string, text?: string): ParsedNamedConf {
  const stream = new TokenStream(root, []);
  stream.push(path, undefined, text);
  const statements = parseStatements(stream, path, 0);
  return { statements, includes: stream.includes };
}

function readConfig(root: string, path: string, by: string | undefined): string {
  return readConfigFile(root, path, by, {
    format: 'named.conf',
    missingHint: 'fix the path, or pass the right config with --set config=PATH',
    unreadableHint: 'run as a user who can read the BIND configuration (root)',
  });
}

/** `include "file";` at the start of a statement: its files are read next, the last match first, as named pushes them. */
function openInclude(stream: TokenStream, keyword: Token): void {
  const target = stream.next();
  const end = stream.next();
  if ((target?.kind !== 'string' && target?.kind !== 'word') || end?.kind !== ';') {
    throw syntaxError(keyword.file, keyword.line, 'include without a file name', 'write include "/absolute/path";');
  }
  if (!target.text.startsWith('/')) {
    throw syntaxError(keyword.file, keyword.line, `relative include "${target.text}" (named resolves it against a working directory that differs between start and reload)`, 'write the include with an absolute path');
  }
  const matches = expandPattern(stream, target.text, keyword.file);
  for (const path of matches) stream.push(path, keyword.file);
  for (const path of matches.reverse()) stream.includes.push({ path, by: keyword.file });
}

function expandPattern(stream: TokenStream, pattern: string, by: string): string[] {
  if (!isGlob(pattern)) return [pattern];
  // named opens what glob(3) gave it; a dangling symlink is no match.
  const matches = globInRoot(stream.root, pattern).filter((path) => resolveInRoot(stream.root, path) !== undefined);
  if (matches.length === 0) {
    throw new MkjailError(`Can't read named.conf at ${pattern}: no file matches the pattern (included by ${by})`, {
      exitCode: EXIT.badInput,
      hint: 'fix the pattern (named refuses an include that matches nothing too)',
    });
  }
  return matches;
}

function parseStatements(stream: TokenStream, path: string, depth: number): NamedStatement[] {
  if (depth > MAX_BLOCK_DEPTH) {
    const at = stream.last;
    throw syntaxError(at?.file ?? path, at?.line ?? 0, `blocks nested deeper than ${MAX_BLOCK_DEPTH}`, 'flatten the configuration (named itself never needs such depth)');
  }
  const statements: NamedStatement[] = [];
  let words: NamedWord[] = [];
  let start: Token | undefined;
  for (;;) {
    const token = stream.next();
    if (!token) {
      const last = stream.last;
      if (depth > 0) throw syntaxError(last?.file ?? path, last?.line ?? 0, "missing '}' at end of file", "close every '{' with '};'");
      if (words.length > 0) throw syntaxError(start?.file ?? path, start?.line ?? 0, "missing ';' at end of file", "end the statement with ';'");
      return statements;
    }
    if (words.length === 0) {
      start = token;
      if (token.kind === 'word' && token.text.toLowerCase() === 'include') {
        openInclude(stream, token);
        continue;
      }
    }
    switch (token.kind) {
      case 'word':
      case 'string':
        words.push({ kind: token.kind, text: token.text });
        break;
      case '{':
        words.push({ kind: 'block', statements: parseStatements(stream, path, depth + 1) });
        break;
      case '}':
        if (depth === 0) throw syntaxError(token.file, token.line, "unexpected '}'", "remove the extra '}'");
        if (words.length > 0) throw syntaxError(token.file, token.line, "missing ';' before '}'", "end the statement with ';'");
        return statements;
      case ';':
        if (words.length > 0 && start) statements.push({ words, file: start.file, line: start.line });
        words = [];
        break;
      default: {
        const never: never = token.kind;
        throw new Error(`unknown token ${String(never)}`);
      }
    }
  }
}

function tokenize(text: string, file: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') line++;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw syntaxError(file, line, "unterminated '/*' comment", "close the comment with '*/'");
      line += countLines(text.slice(i, end));
      i = end + 2;
    } else if (c === '"') {
      const string = readQuoted(text, i, file, line);
      tokens.push({ kind: 'string', text: string.value, line, file });
      line += countLines(text.slice(i, string.end));
      i = string.end;
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push({ kind: c, text: c, line, file });
      i++;
    } else {
      let value = '';
      while (i < text.length && !/[\s{};"]/.test(text[i] as string) && !text.startsWith('//', i) && !text.startsWith('/*', i)) {
        value += text[i];
        i++;
      }
      tokens.push({ kind: 'word', text: value, line, file });
    }
  }
  return tokens;
}

/**
 * A quoted string from `text[at]` (the opening quote) as BIND's lexer reads it: a backslash is kept,
 * except that `\"` is a quote (so `"db\.e"` names `db\.e`, `"a\\"` is `a\\`); strings may span lines.
 */
function readQuoted(text: string, at: number, file: string, line: number): { value: string; end: number } {
  let value = '';
  let escaped = false;
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') {
      if (!escaped) return { value, end: i + 1 };
      value = `${value.slice(0, -1)}"`;
      escaped = false;
      continue;
    }
    escaped = c === '\\' && !escaped;
    value += c;
  }
  throw syntaxError(file, line, 'unterminated string', 'close the string with \'"\'');
}

function countLines(text: string): number {
  return text.split('\n').length - 1;
}

export function syntaxError(path: string, line: number, found: string, hint: string): MkjailError {
  return new MkjailError(`Can't parse named.conf at ${path}${line > 0 ? `:${line}` : ''}: ${found}`, {
    exitCode: EXIT.badInput,
    hint,
  });
}

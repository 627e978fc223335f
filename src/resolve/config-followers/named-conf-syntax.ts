// Reads BIND's configuration grammar into nested statements: comments, quoted strings, blocks, and
// `include` spliced in place (as named's own parser does), each statement remembering its file and line.
import { readFileSync } from 'node:fs';
import { EXIT, MkjailError, errnoWords } from '../../errors.js';
import { hostPath, resolveInRoot } from '../../fs/path-in-root.js';

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

type Token = { kind: 'word' | 'string' | '{' | '}' | ';'; text: string; line: number };

/** Parses the config at `path` (absolute, inside `root`) and every file it includes. */
export function parseNamedConf(root: string, path: string, text?: string): ParsedNamedConf {
  const includes: NamedInclude[] = [];
  const statements = parseFile(root, path, [], includes, text);
  return { statements, includes };
}

function parseFile(root: string, path: string, stack: string[], includes: NamedInclude[], text?: string): NamedStatement[] {
  if (stack.includes(path)) {
    throw syntaxError(path, 0, `include loop (${[...stack, path].join(' -> ')})`, 'remove the include that points back');
  }
  const tokens = tokenize(text ?? readConfig(root, path, stack.at(-1)), path);
  const reader = { tokens, next: 0 };
  const statements = parseStatements(reader, path, false);
  return spliceIncludes(root, path, statements, [...stack, path], includes);
}

function readConfig(root: string, path: string, by: string | undefined): string {
  const found = resolveInRoot(root, path);
  const where = by ? ` (included by ${by})` : '';
  if (!found || !found.stats.isFile()) {
    throw new MkjailError(`Can't read named.conf at ${path}: ${found ? 'not a regular file' : 'no such file'}${where}`, {
      exitCode: EXIT.badInput,
      hint: 'fix the path, or pass the right config with --set config=PATH',
    });
  }
  try {
    return readFileSync(hostPath(root, found.real), 'utf8');
  } catch (error) {
    throw new MkjailError(`Can't read named.conf at ${path}: ${errnoWords(error)}${where}`, {
      exitCode: EXIT.badInput,
      hint: 'run as a user who can read the BIND configuration (root)',
    });
  }
}

/** Replaces every `include "file";` (at any depth) by the statements of that file. */
function spliceIncludes(root: string, path: string, statements: NamedStatement[], stack: string[], includes: NamedInclude[]): NamedStatement[] {
  const out: NamedStatement[] = [];
  for (const statement of statements) {
    const [keyword, target] = statement.words;
    if (keyword?.kind === 'word' && keyword.text.toLowerCase() === 'include') {
      if (target?.kind !== 'string' && target?.kind !== 'word') {
        throw syntaxError(path, statement.line, 'include without a file name', 'write include "/absolute/path";');
      }
      if (!target.text.startsWith('/')) {
        throw syntaxError(path, statement.line, `relative include "${target.text}" (named resolves it against a working directory that differs between start and reload)`, 'write the include with an absolute path');
      }
      includes.push({ path: target.text, by: path });
      out.push(...parseFile(root, target.text, stack, includes));
      continue;
    }
    const words = statement.words.map((word): NamedWord =>
      word.kind === 'block' ? { kind: 'block', statements: spliceIncludes(root, path, word.statements, stack, includes) } : word,
    );
    out.push({ ...statement, words });
  }
  return out;
}

function parseStatements(reader: { tokens: Token[]; next: number }, path: string, inBlock: boolean): NamedStatement[] {
  const statements: NamedStatement[] = [];
  let words: NamedWord[] = [];
  let line = 0;
  for (;;) {
    const token = reader.tokens[reader.next++];
    if (!token) {
      if (inBlock) throw syntaxError(path, reader.tokens.at(-1)?.line ?? 0, "missing '}' at end of file", "close every '{' with '};'");
      if (words.length > 0) throw syntaxError(path, line, "missing ';' at end of file", "end the statement with ';'");
      return statements;
    }
    if (words.length === 0) line = token.line;
    switch (token.kind) {
      case 'word':
      case 'string':
        words.push({ kind: token.kind, text: token.text });
        break;
      case '{':
        words.push({ kind: 'block', statements: parseStatements(reader, path, true) });
        break;
      case '}':
        if (!inBlock) throw syntaxError(path, token.line, "unexpected '}'", "remove the extra '}'");
        if (words.length > 0) throw syntaxError(path, token.line, "missing ';' before '}'", "end the statement with ';'");
        return statements;
      case ';':
        if (words.length > 0) statements.push({ words, file: path, line });
        words = [];
        break;
      default: {
        const never: never = token.kind;
        throw new Error(`unknown token ${String(never)}`);
      }
    }
  }
}

function tokenize(text: string, path: string): Token[] {
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
      if (end < 0) throw syntaxError(path, line, "unterminated '/*' comment", "close the comment with '*/'");
      line += countLines(text.slice(i, end));
      i = end + 2;
    } else if (c === '"') {
      const start = line;
      let value = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        if (text[i] === '\n') line++;
        value += text[i];
        i++;
      }
      if (i >= text.length) throw syntaxError(path, start, 'unterminated string', 'close the string with \'"\'');
      i++;
      tokens.push({ kind: 'string', text: value, line: start });
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push({ kind: c, text: c, line });
      i++;
    } else {
      let value = '';
      while (i < text.length && !/[\s{};"]/.test(text[i] as string) && !text.startsWith('//', i) && !text.startsWith('/*', i)) {
        value += text[i];
        i++;
      }
      tokens.push({ kind: 'word', text: value, line });
    }
  }
  return tokens;
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

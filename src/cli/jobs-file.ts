// `mkjail build RECIPE --jobs FILE`: many jails from one recipe in one process. Each line of FILE is one
// job, written as the options of one build: `--out DIR [--set NAME=VALUE ...] [--tar FILE]`, words split
// as a shell would split them (single and double quotes, backslash), blank lines and `#` comments skipped.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MkjailError, errnoWords } from '../errors.js';

export interface Job {
  /** Where in FILE the job was written, for errors: `FILE line N`. */
  where: string;
  out: string;
  set: string[];
  tar?: string;
}

/** The jobs of FILE (`-`: standard input); a bad line is a usage error (exit 2) naming the line. */
export function readJobs(file: string, cwd: string): Job[] {
  const path = file === '-' ? '/dev/stdin' : resolve(cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new MkjailError(`Can't read jobs file at ${path}: ${errnoWords(error)}`, { hint: 'give a file with one job a line: --out DIR [--set NAME=VALUE ...]' });
  }
  const jobs = text.split('\n').flatMap((line, index) => {
    const words = shellWords(line, `${path} line ${index + 1}`);
    return words.length === 0 ? [] : [parseJob(words, `${path} line ${index + 1}`)];
  });
  if (jobs.length === 0) throw new MkjailError(`Can't use jobs file at ${path}: it holds no job`, { hint: 'write one job a line: --out DIR [--set NAME=VALUE ...]' });
  const outs = new Map<string, string>();
  for (const job of jobs) {
    const out = resolve(cwd, job.out);
    const earlier = outs.get(out);
    if (earlier) throw new MkjailError(`Can't use jobs file at ${path}: ${job.where} builds into ${out} as ${earlier} does`, { hint: 'give each job its own --out DIR' });
    outs.set(out, job.where);
  }
  return jobs;
}

function parseJob(words: string[], where: string): Job {
  let parsed;
  try {
    parsed = parseArgs({ args: words, options: { out: { type: 'string' }, set: { type: 'string', multiple: true }, tar: { type: 'string' } } });
  } catch (error) {
    throw jobError(where, error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error));
  }
  const { out, set, tar } = parsed.values;
  if (out === undefined) throw jobError(where, 'missing --out DIR');
  return { where, out, set: set ?? [], ...(tar === undefined ? {} : { tar }) };
}

function jobError(where: string, what: string): MkjailError {
  return new MkjailError(`Can't use job at ${where}: ${what}`, { hint: 'a job is --out DIR [--set NAME=VALUE ...] [--tar FILE]' });
}

/** Splits a line into words as sh does for plain words and quotes (no expansion); `#` starts a comment. */
export function shellWords(line: string, where: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1] as string)) word = `${word ?? ''}${line[++i] ?? ''}`;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = `${word ?? ''}${line[++i] ?? ''}`;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw jobError(where, `unclosed ${quote} quote`);
  if (word !== undefined) words.push(word);
  return words;
}

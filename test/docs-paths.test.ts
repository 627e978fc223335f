// The README, the docs and the commands' --help name files of this repository (recipes, tests,
// examples, fixtures, docs): every one of them must exist, so the front door never points at nothing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

const REPO_PATH = /(?<![\w/.-])((?:recipes|test|examples|fixtures|docs|bench|scripts|src)\/[\w./-]+\.(?:ts|mjs|md|sh|yml|c|ini|conf)|examples\/container\/Dockerfile)\b/g;

function textsToCheck(): Array<[string, string]> {
  const docs = readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
  const commands = readdirSync(join(REPO_ROOT, 'src/cli/commands')).map((f) => `src/cli/commands/${f}`);
  return ['README.md', ...docs, ...commands].map((file) => [file, readFileSync(join(REPO_ROOT, file), 'utf8')]);
}

describe('paths named by the README, the docs and --help', () => {
  it('all exist in the repository', () => {
    const missing: string[] = [];
    for (const [file, text] of textsToCheck()) {
      for (const [, path] of text.matchAll(REPO_PATH)) {
        const relative = file.startsWith('docs/') && !existsSync(join(REPO_ROOT, path as string)) ? join('docs', path as string) : (path as string);
        if (!existsSync(join(REPO_ROOT, relative))) missing.push(`${file}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

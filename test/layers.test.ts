// The house's floors, checked on the source: a module imports (statically, dynamically or for types
// only) from its own directory or from a floor below, never from one above or beside it, and no chain
// of imports comes back to where it started. docs/architecture.md draws the same floors.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

/** Top to bottom; the directories of one floor do not import each other. Single files at src/ sit lowest. */
const FLOORS = [['cli'], ['audit', 'trace', 'sbom'], ['stage'], ['verify', 'artifacts'], ['plan'], ['resolve'], ['elf', 'recipe'], ['fs'], ['errors', 'timings', 'version', 'zod', 'dynamic-import']];
/** The package's entry (what recipes import as `mkjail`) stands beside cli, above what it re-exports. */
const ENTRY = 'index';

const SRC = join(REPO_ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file imports, re-exports or import()s, as a path under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)'(\.{1,2}\/[^']+)'/gm)].map((match) => join(dirname(file), String(match[1])).replace(/\.js$/, '.ts'));
}

/** A file's room: the directory under src/, or the file's own name for a file at src/. */
function roomOf(file: string): string {
  const [first = '', ...rest] = relative(SRC, file).split(sep);
  return rest.length > 0 ? first : first.replace(/\.ts$/, '');
}

function floorOf(room: string): number {
  if (room === ENTRY) return -1;
  const floor = FLOORS.findIndex((rooms) => rooms.includes(room));
  if (floor < 0) throw new Error(`src/${room} is on no floor: add it to FLOORS here and to docs/architecture.md`);
  return floor;
}

const graph = new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)]));

describe('the floors of src/', () => {
  it('sees the imports it checks (a file at each floor imports downwards)', () => {
    const arrows = [...graph].flatMap(([file, targets]) => targets.map((target) => `${roomOf(file)} -> ${roomOf(target)}`));
    expect(arrows).toEqual(expect.arrayContaining(['cli -> audit', 'stage -> plan', 'plan -> resolve', 'resolve -> elf', 'plan -> recipe', 'recipe -> fs']));
  });

  it('has every import go down a floor or stay in its directory', () => {
    const upwards = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((target) => roomOf(target) !== roomOf(file) && floorOf(roomOf(target)) <= floorOf(roomOf(file)))
        .map((target) => `${relative(SRC, file)} imports ${relative(SRC, target)}`),
    );
    expect(upwards).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      state.set(file, 'open');
      for (const target of graph.get(file) ?? []) {
        if (state.get(target) === 'open') cycles.push([...path.slice(path.indexOf(target)), target].map((f) => relative(SRC, f)).join(' > '));
        else if (!state.has(target)) visit(target, [...path, target]);
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);
    expect(cycles).toEqual([]);
  });
});

// Seeded, repeatable fuzzing of real ELF files: thousands of mutants (byte flips, extreme field
// values, truncations) of gcc-built programs and libraries, in both classes and byte orders. Each
// must end in a result or one clean MkjailError, quickly: never a stack trace, a hang or a blow-up.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readElfFile } from '../../src/elf/read-elf.js';
import { EXIT, isMkjailError } from '../../src/errors.js';
import { resolveClosure } from '../../src/resolve/library-closure.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, scratchDir, sharedLibrary } from '../resolve/helpers/build-elf.js';
import { toBigEndian } from './helpers/swap-endian.js';

const ok = prerequisites({ commands: ['gcc'], packages: 'gcc gcc-multilib' });
const SEED = 20240601;
const CASES = 4000;
const CASE_LIMIT_MS = 1000;

/** mulberry32: a small, fast, seeded generator; the same seed gives the same mutants. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXTREMES = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffff];

/** One mutant of `original`: the mutations favour the first 4 KiB, where headers and dynamic data live. */
function mutate(original: Buffer, random: () => number): Buffer {
  const bytes = Buffer.from(original);
  const hot = Math.min(bytes.length, 4096);
  const at = (limit: number) => Math.floor(random() * limit);
  const rounds = 1 + at(4);
  for (let i = 0; i < rounds; i++) {
    const kind = at(4);
    if (kind === 0) bytes[at(hot)] = at(256);
    else if (kind === 1) {
      const offset = at(hot);
      bytes[offset] = (bytes[offset] ?? 0) ^ (1 << at(8));
    }
    else if (kind === 2) {
      const offset = at(hot - 4) & ~3;
      bytes.writeUInt32LE(EXTREMES[at(EXTREMES.length)] as number, offset);
    } else {
      return bytes.subarray(0, at(bytes.length));
    }
  }
  return bytes;
}

type Outcome = 'result' | 'clean error';

/** Runs the reader and the resolver on one mutant; anything but a result or a clean error fails the test. */
function outcomeOf(file: string): { outcome: Outcome; detail: string } {
  try {
    readElfFile(file);
    const closure = resolveClosure([file]);
    return { outcome: 'result', detail: `${closure.objects.length}/${closure.missing.length}` };
  } catch (error) {
    if (isMkjailError(error) && error.exitCode === EXIT.badInput && error.message.startsWith("Can't ") && !error.message.includes('\n')) {
      return { outcome: 'clean error', detail: error.message.replace(file, 'FILE') };
    }
    throw new Error(`mutant ${file} ended in ${String(error)}`);
  }
}

describe.skipIf(!ok)('fuzzing the ELF reader and the resolver', () => {
  let dir = '';
  let cleanup = () => {};
  let originals: Buffer[] = [];

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('fuzz'));
    sharedLibrary(dir, 'liba.so', 'liba.c', ['-Wl,-soname,liba.so.1,-rpath,$ORIGIN/x:/opt']);
    gcc(dir, ['-o', 'prog', 'main-a.c', '-L.', '-la', '-Wl,-rpath,$ORIGIN']);
    gcc(dir, ['-m32', '-o', 'prog32', 'plain.c', '-Wl,--no-as-needed', '-lm']);
    const files = ['liba.so', 'prog', 'prog32'].map((name) => readFileSync(`${dir}/${name}`));
    originals = [...files, ...files.map((bytes) => toBigEndian(bytes))];
  });

  afterAll(() => cleanup());

  function run(seed: number, count: number): { outcomes: Record<Outcome, number>; slowest: number; details: string[] } {
    const random = generator(seed);
    const outcomes: Record<Outcome, number> = { result: 0, 'clean error': 0 };
    const details: string[] = [];
    let slowest = 0;
    for (let i = 0; i < count; i++) {
      const original = originals[i % originals.length] as Buffer;
      const file = `${dir}/mutant`;
      writeFileSync(file, mutate(original, random));
      const started = performance.now();
      const { outcome, detail } = outcomeOf(file);
      slowest = Math.max(slowest, performance.now() - started);
      outcomes[outcome]++;
      details.push(detail);
    }
    return { outcomes, slowest, details };
  }

  it(`ends each of ${CASES} mutants in a result or a clean error, each within ${CASE_LIMIT_MS} ms`, () => {
    const { outcomes, slowest } = run(SEED, CASES);
    expect(outcomes.result + outcomes['clean error']).toBe(CASES);
    expect(outcomes.result).toBeGreaterThan(CASES / 10);
    expect(outcomes['clean error']).toBeGreaterThan(CASES / 10);
    expect(slowest).toBeLessThan(CASE_LIMIT_MS);
  });

  it('is repeatable: the same seed gives the same outcomes', () => {
    expect(run(SEED + 1, 300).details).toEqual(run(SEED + 1, 300).details);
  });
});

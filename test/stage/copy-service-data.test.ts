// Copying a service's data never reads through a symlink, not even one the service swaps in for one of
// its directories while the copy runs: no host file ever lands in the copy.
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isMkjailError } from '../../src/errors.js';
import { copyServiceData } from '../../src/stage/copy-service-data.js';
import { prerequisites } from '../helpers/prereq.js';
import { tmpScratch } from '../helpers/scratch.js';
import { startSwapper, swapping } from '../helpers/symlink-swapper.js';

const ok = prerequisites({ root: true, commands: ['mkfifo'] });

const SECRET = 'host secret\n';
const NAMES = Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(2, '0')}`);
const SWAPPED_DIRS = 8;
const MIN_ROUNDS = 30;
const MIB = 1 << 20;

/** `length` bytes of `file` from `offset`, as text. */
function bytesAt(file: string, offset: number, length: number): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, offset)).toString();
  } finally {
    closeSync(fd);
  }
}

/** Every regular file below `dir` whose content is the host's secret. */
function leakedFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stats = lstatSync(path);
    if (stats.isDirectory()) return leakedFiles(path);
    return stats.isFile() && readFileSync(path, 'utf8') === SECRET ? [path] : [];
  });
}

describe.skipIf(!ok)('copyServiceData', () => {
  const scratch = tmpScratch('mkjail-copy-', ok);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('never copies a host file while a racing process swaps the service directories for symlinks to the host', async () => {
    const host = join(scratch, 'host');
    mkdirSync(host, { mode: 0o700 });
    for (const name of NAMES) writeFileSync(join(host, name), SECRET, { mode: 0o600 });
    const state = join(scratch, 'old/var/lib/svc');
    mkdirSync(state, { recursive: true });
    for (let i = 0; i < SWAPPED_DIRS; i++) {
      mkdirSync(join(state, `d${i}`));
      for (const name of NAMES) writeFileSync(join(state, `d${i}`, name), 'service data\n');
    }
    const swapper = startSwapper(state, host, SWAPPED_DIRS);
    await swapping(swapper);
    const start = Date.now();
    const leaks: string[] = [];
    let rounds = 0;
    try {
      while ((Date.now() - start < 5_000 || rounds < MIN_ROUNDS) && Date.now() - start < 90_000 && leaks.length === 0) {
        const destination = join(scratch, `new-${rounds++}`);
        mkdirSync(destination);
        try {
          copyServiceData(join(scratch, 'old'), '/var/lib/svc', destination, join(scratch, 'fifo'));
        } catch (error) {
          // An entry that keeps changing type fails the copy with a one-line error; anything else is a bug.
          if (!isMkjailError(error)) throw error;
        }
        leaks.push(...leakedFiles(destination));
        rmSync(destination, { recursive: true });
      }
    } finally {
      swapper.kill('SIGKILL');
      await new Promise((resolve) => swapper.once('exit', resolve));
    }
    expect({ enoughRounds: rounds >= MIN_ROUNDS, leaks, host: readdirSync(host) }).toEqual({ enoughRounds: true, leaks: [], host: NAMES });
  });

  it('keeps a sparse file sparse: a service can\'t make the copy write gigabytes of holes', () => {
    const state = join(scratch, 'sparse-old/var/lib/svc');
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'holes'), '');
    truncateSync(join(state, 'holes'), 512 * MIB);
    const fd = openSync(join(state, 'holes-and-data'), 'w');
    writeSync(fd, 'head\n', 0);
    writeSync(fd, 'tail\n', 300 * MIB);
    closeSync(fd);
    const destination = join(scratch, 'sparse-new');
    mkdirSync(destination);
    copyServiceData(join(scratch, 'sparse-old'), '/var/lib/svc', destination, join(scratch, 'fifo'));
    const copied = (name: string) => {
      const stats = lstatSync(join(destination, name));
      return { size: stats.size, allocatedUnderOneMiB: stats.blocks * 512 < MIB };
    };
    expect([copied('holes'), copied('holes-and-data'), bytesAt(join(destination, 'holes-and-data'), 0, 5), bytesAt(join(destination, 'holes-and-data'), 300 * MIB, 5)]).toEqual([
      { size: 512 * MIB, allocatedUnderOneMiB: true },
      { size: 300 * MIB + 5, allocatedUnderOneMiB: true },
      'head\n',
      'tail\n',
    ]);
  });
});

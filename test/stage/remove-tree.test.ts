// Removing an old jail never follows a symlink, not even one a still running service swaps in while the
// tree is being removed: files outside the tree survive.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTree } from '../../src/fs/remove-tree.js';
import { prerequisites } from '../helpers/prereq.js';
import { startSwapper, swapping } from '../helpers/symlink-swapper.js';

const ok = prerequisites({ commands: ['rm'] });

const VICTIM_FILES = Array.from({ length: 40 }, (_, i) => `v${String(i).padStart(2, '0')}`);
const SWAPPED_DIRS = 16;
const MIN_ROUNDS = 10;

/** A directory outside the tree whose files must survive every removal. */
function makeVictim(scratch: string): string {
  const victim = join(scratch, 'victim');
  mkdirSync(victim);
  for (const name of VICTIM_FILES) writeFileSync(join(victim, name), `${name}\n`);
  return victim;
}

/** A tree like an old jail's writable directory: directories holding files named like the victim's. */
function makeTree(root: string): void {
  mkdirSync(root);
  for (let i = 0; i < SWAPPED_DIRS; i++) {
    mkdirSync(join(root, `d${i}`));
    for (const name of VICTIM_FILES) writeFileSync(join(root, `d${i}`, name), 'service data\n');
  }
}

describe.skipIf(!ok)('removeTree', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mkjail-remove-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('removes a tree holding a symlink to a directory outside it, and leaves that directory alone', () => {
    const victim = makeVictim(scratch);
    const tree = join(scratch, 'static');
    makeTree(tree);
    symlinkSync(victim, join(tree, 'd0', 'outside'));
    symlinkSync(victim, join(tree, 'top-link'));
    removeTree(tree);
    expect([readdirSync(scratch).includes('static'), readdirSync(victim)]).toEqual([false, VICTIM_FILES]);
    rmSync(victim, { recursive: true });
  });

  it('never deletes a file outside the tree while a racing process swaps its directories for symlinks', async () => {
    const victim = makeVictim(scratch);
    const tree = join(scratch, 'racing');
    const swapper = startSwapper(tree, victim, SWAPPED_DIRS);
    await swapping(swapper);
    // At least MIN_ROUNDS removals and 6 s of racing (with the old rmSync, files went within 3 s), at most 30 s.
    const start = Date.now();
    const racing = () => (Date.now() - start < 6_000 || rounds < MIN_ROUNDS) && Date.now() - start < 30_000;
    let rounds = 0;
    try {
      while (racing() && readdirSync(victim).length === VICTIM_FILES.length) {
        // Built aside and renamed in, so the swapper only ever races the removal.
        makeTree(`${tree}.new`);
        renameSync(`${tree}.new`, tree);
        try {
          removeTree(tree);
        } catch {
          // A removal that lost a race may fail; what matters is that it never reached outside.
        }
        // What is left (a directory the swapper had moved aside) goes out of its reach until it is stopped.
        if (existsSync(tree)) renameSync(tree, join(scratch, `left-${rounds}`));
        rounds++;
      }
    } finally {
      swapper.kill('SIGKILL');
      await new Promise((resolve) => swapper.once('exit', resolve));
    }
    expect({ rounds: rounds >= MIN_ROUNDS, survivors: readdirSync(victim) }).toEqual({ rounds: true, survivors: VICTIM_FILES });
  });
});

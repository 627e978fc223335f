// A racing "service": a separate process that keeps swapping each directory d0..d<count-1> of `dir`
// for a symlink to `target` and back, as a compromised service owning `dir` could while root works on it.
import { type ChildProcess, spawn } from 'node:child_process';

export function startSwapper(dir: string, target: string, count: number): ChildProcess {
  const script = `
    const fs = require('node:fs');
    const [dir, target, count] = process.argv.slice(1);
    const quiet = (f) => { try { f(); } catch {} };
    for (let round = 0; ; round++) {
      if (round === 1) process.stdout.write('swapping\\n');
      for (let i = 0; i < Number(count); i++) {
        const d = dir + '/d' + i;
        quiet(() => fs.renameSync(d, d + '.away'));
        quiet(() => fs.symlinkSync(target, d));
        quiet(() => fs.unlinkSync(d));
        quiet(() => fs.renameSync(d + '.away', d));
      }
    }`;
  return spawn(process.execPath, ['-e', script, dir, target, String(count)], { stdio: ['ignore', 'pipe', 'ignore'] });
}

/** Resolves once the swapper has gone through every directory once. */
export function swapping(swapper: ChildProcess): Promise<void> {
  return new Promise((resolve) => swapper.stdout?.once('data', () => resolve()));
}

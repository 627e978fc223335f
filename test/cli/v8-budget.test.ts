// The bundle's loader (src/cli/start.ts) raises V8's interrupt budget for `mkjail deps` before any of
// mkjail is compiled (on Node 20's V8, where it was measured), so that a run over many files hands fewer
// functions to the optimising compiler. Checked by what V8 itself reports (--trace-opt): `deps --list`
// of the programs of /usr/bin through bin/mkjail (the bundle) against the same run of tsc's output,
// which no loader tunes. The code cache is off (V8 refuses a cache made under other flags).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execaSync } from 'execa';
import { describe, expect, it } from 'vitest';
import { MKJAIL_BIN, REPO_ROOT } from '../helpers/cli.js';
import { elfExecutables } from '../../bench/elf-programs.mjs';

const RAISED = process.versions.v8.startsWith('11.3.');

/** How many functions V8 optimised in `node --trace-opt ...argv`. */
function optimised(argv: string[]): number {
  const { stdout } = execaSync(process.execPath, ['--trace-opt', ...argv], { env: { MKJAIL_CODE_CACHE: 'off' }, reject: false, maxBuffer: 1 << 28 });
  return String(stdout).split('\n').filter((line) => line.startsWith('[completed optimizing')).length;
}

describe('the interrupt budget of mkjail deps', () => {
  it(`${RAISED ? 'leaves' : 'on this V8, does not leave'} the optimising compiler fewer functions`, () => {
    const args = ['deps', '--list', ...elfExecutables(['/usr/bin'])];
    const tscMain = pathToFileURL(join(REPO_ROOT, 'dist/cli/main.js')).href;
    const throughBundle = optimised([MKJAIL_BIN, ...args]);
    const untuned = optimised(['--input-type=module', '-e', `process.exitCode = await (await import(${JSON.stringify(tscMain)})).main(process.argv.slice(1));`, ...args]);
    expect(untuned).toBeGreaterThan(10);
    if (RAISED) expect(throughBundle * 2).toBeLessThan(untuned);
    else expect(throughBundle * 2).toBeGreaterThanOrEqual(untuned);
  });
});

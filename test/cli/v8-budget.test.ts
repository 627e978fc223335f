// bin/mkjail raises V8's interrupt budget before any of mkjail is compiled (on Node 20's V8, where it was
// measured), so that a short run hands fewer functions to the optimising compiler. Checked by what V8
// itself reports (--trace-opt): `deps --list` of the programs of /usr/bin through bin/mkjail against
// the same bundle started without it. The code cache is off in both (V8 refuses a cache made under
// other flags).
import { join } from 'node:path';
import { execaSync } from 'execa';
import { describe, expect, it } from 'vitest';
import { MKJAIL_BIN, REPO_ROOT } from '../helpers/cli.js';
import { elfFilesIn } from '../helpers/elf-files.js';

const RAISED = process.versions.v8.startsWith('11.3.');

/** How many functions V8 optimised in `node --trace-opt ...argv`. */
function optimised(argv: string[]): number {
  const { stdout } = execaSync(process.execPath, ['--trace-opt', ...argv], { env: { MKJAIL_CODE_CACHE: 'off' }, reject: false, maxBuffer: 1 << 28 });
  return String(stdout).split('\n').filter((line) => line.startsWith('[completed optimizing')).length;
}

describe('the interrupt budget bin/mkjail sets', () => {
  it(`${RAISED ? 'leaves' : 'on this V8, does not leave'} the optimising compiler fewer functions in a short run`, () => {
    const args = ['deps', '--list', ...elfFilesIn('/usr/bin')];
    const plainStart = `require(${JSON.stringify(join(REPO_ROOT, 'dist/bundle/start.cjs'))}).main(process.argv.slice(1)).then((code) => { process.exitCode = code; })`;
    const throughBin = optimised([MKJAIL_BIN, ...args]);
    const withoutIt = optimised(['-e', plainStart, ...args]);
    expect(withoutIt).toBeGreaterThan(10);
    if (RAISED) expect(throughBin * 2).toBeLessThan(withoutIt);
    else expect(throughBin * 2).toBeGreaterThanOrEqual(withoutIt);
  });
});

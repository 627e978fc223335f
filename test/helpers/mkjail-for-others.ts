// mkjail run as another user (nobody) must read the package: the checkout itself when that user can,
// else a copy that everyone can read. A clone below /root (0700), or one made under umask 027, is
// readable by root alone, and the tests that run mkjail as nobody would fail for that reason only.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { MKJAIL_BIN, REPO_ROOT, isCodeCache } from './cli.js';
import { makeScratch, removeScratch } from './scratch.js';

/** What running mkjail needs of the package. */
const PACKAGE_PARTS = ['bin', 'dist', 'package.json', 'node_modules'];

/** True when user nobody can read what running mkjail needs of the checkout; asked of the kernel, as nobody. */
function nobodyCanRunCheckout(): boolean {
  const paths = ['bin/mkjail', 'dist/cli/main.js', 'node_modules/jiti/package.json'].map((path) => join(REPO_ROOT, path));
  const script = 'for f do test -r "$f" || exit 1; done';
  return spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', script, 'sh', ...paths]).status === 0;
}

/** The bin/mkjail that nobody can run (the checkout's, or a world-readable copy's); cleanup removes a copy. Needs root. */
export function mkjailForOthers(): { bin: string; cleanup(): void } {
  if (nobodyCanRunCheckout()) return { bin: MKJAIL_BIN, cleanup: () => {} };
  const copy = makeScratch('package-');
  for (const part of PACKAGE_PARTS) cpSync(join(REPO_ROOT, part), join(copy, part), { recursive: true, verbatimSymlinks: true, filter: (path) => !isCodeCache(path) });
  execFileSync('chmod', ['-R', 'a+rX', copy]);
  return { bin: join(copy, 'bin/mkjail'), cleanup: () => removeScratch(copy) };
}

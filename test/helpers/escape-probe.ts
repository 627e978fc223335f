// The escape probe (fixtures/escape/escape.c): built static with gcc, it tries the classic ways out of a
// chroot and prints one line per attempt. Shared by the launcher's test and the end-to-end escape test.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './cli.js';

/** What the probe prints when every escape fails (run through the launcher, as a non-root user). */
export const ALL_ESCAPES_BLOCKED = [
  'chroot-dotdot: blocked (chroot: Operation not permitted)',
  'fchdir-inherited: blocked (no directory descriptor above 2: Bad file descriptor)',
  'read-marker: blocked (open marker: No such file or directory)',
  'regain-root: blocked (setresuid(0, 0, 0): Operation not permitted)',
].join('\n');

/** Compiles the probe to `output` (a static binary: it needs nothing else in the jail). */
export function buildEscapeProbe(output: string): void {
  execFileSync('gcc', ['-static', '-O1', '-o', output, join(REPO_ROOT, 'fixtures/escape/escape.c')]);
}

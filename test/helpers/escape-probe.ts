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

/** Compiles fixtures/escape/neighbours.c to `output`: reaching the host's terminal, processes, IPC and sockets. */
export function buildNeighboursProbe(output: string): void {
  execFileSync('gcc', ['-static', '-O1', '-o', output, join(REPO_ROOT, 'fixtures/escape/neighbours.c')]);
}

/** The neighbours probe's attempts, in the order it makes them. */
export const NEIGHBOUR_ATTEMPTS = ['tiocsti', 'kill-pid', 'kill-all', 'ptrace', 'sysv-ipc', 'abstract-socket'] as const;

/** attempt -> 'blocked' | 'REACHED', from the probe's output (as a terminal gives it back: CRs, and the pushed "#" echoed before a line). */
export function neighbourVerdicts(output: string): Record<string, string> {
  return Object.fromEntries(
    output
      .split(/\r?\n/)
      .map((line) => /([a-z-]+): (blocked|REACHED) /.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] as string, m[2] as string]),
  );
}

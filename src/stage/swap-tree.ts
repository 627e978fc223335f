// Puts a staged tree in place of DIR/root in one step: renameat2(RENAME_EXCHANGE) swaps the two
// directories atomically, so at every instant DIR/root is either the old jail or the new one.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync } from 'node:fs';
import { EXIT, MkjailError, commandWords } from '../errors.js';

/** renameat2's system call number by architecture (Node has no binding; perl's syscall() calls it). */
const RENAMEAT2 = { x64: 316, arm64: 276, ia32: 353, arm: 382, riscv64: 276, ppc64: 357, s390x: 347 } as const;
const AT_FDCWD = -100;
const RENAME_EXCHANGE = 2;

/**
 * Moves `staged` to `root`. When `root` exists the two are exchanged atomically and `staged` then holds
 * the old tree (the caller removes it).
 */
export function swapTree(staged: string, root: string): void {
  if (!existsSync(root)) {
    renameSync(staged, root);
    return;
  }
  exchange(staged, root);
}

function exchange(a: string, b: string): void {
  const number = RENAMEAT2[process.arch as keyof typeof RENAMEAT2];
  if (number === undefined) throw swapError(b, `no renameat2 system call number known for ${process.arch}`);
  const script = `syscall(${number}, ${AT_FDCWD}, $ARGV[0], ${AT_FDCWD}, $ARGV[1], ${RENAME_EXCHANGE}) == 0 or die "$!\\n"`;
  try {
    execFileSync('perl', ['-e', script, a, b], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw swapError(b, commandWords(error));
  }
}

function swapError(root: string, what: string): MkjailError {
  return new MkjailError(`Can't swap the new jail into ${root}: renameat2(RENAME_EXCHANGE) failed (${what})`, {
    exitCode: EXIT.environment,
    hint: 'build on a local Linux file system (ext4, xfs, btrfs, tmpfs) with perl installed (perl-base)',
  });
}

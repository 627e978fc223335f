// Runs the real CLI (bin/mkjail, compiled by `npm test`'s build step) as a separate process.
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MKJAIL_BIN = `${REPO_ROOT}bin/mkjail`;

/**
 * True for a code cache the bundle's loader keeps beside it (dist/bundle/*.v8cache), or one being
 * written: a copy of the package leaves them out, since other tests' runs may write them meanwhile.
 */
export function isCodeCache(path: string): boolean {
  return /\.v8cache(\.\d+\.partial)?$/.test(path);
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `mkjail ...args`; never throws on a non-zero exit (tests assert the code). */
export async function mkjail(args: string[], options: Options = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [MKJAIL_BIN, ...args], { reject: false, ...options });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
}

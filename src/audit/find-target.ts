// What to audit: DIR_OR_ROOT is either mkjail's output (DIR/manifest.json + DIR/root/: audit root/
// with that manifest) or a bare jail root (audited without a manifest unless --manifest is given).
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT, MkjailError, errnoWords } from '../errors.js';

export interface AuditTarget {
  /** Host path of the jail root, absolute. */
  root: string;
  /** Host path of the manifest to check against, or undefined. */
  manifestFile: string | undefined;
  /** DIR when the argument is mkjail's output (its launcher and perms.sh are checked too). */
  outputDir: string | undefined;
}

export function findTarget(argument: string, cwd: string, manifestOption: string | undefined): AuditTarget {
  const given = resolve(cwd, argument);
  requireDirectory(given);
  const isBuildOutput = existsSync(join(given, 'manifest.json')) && isDirectory(join(given, 'root'));
  const root = isBuildOutput ? join(given, 'root') : given;
  const outputDir = isBuildOutput ? given : undefined;
  if (manifestOption !== undefined) return { root, manifestFile: resolve(cwd, manifestOption), outputDir };
  return { root, manifestFile: isBuildOutput ? join(given, 'manifest.json') : undefined, outputDir };
}

function requireDirectory(path: string): void {
  try {
    if (statSync(path).isDirectory()) return;
  } catch (error) {
    throw new MkjailError(`Can't audit jail at ${path}: ${errnoWords(error)}`, {
      exitCode: EXIT.badInput,
      hint: 'give a jail root directory, or a directory built by `mkjail build`',
    });
  }
  throw new MkjailError(`Can't audit jail at ${path}: not a directory`, {
    exitCode: EXIT.badInput,
    hint: 'give a jail root directory, or a directory built by `mkjail build`',
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

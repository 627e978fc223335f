// Clean errors about a recipe: they name the recipe file, the field path and the fix.
import { EXIT, type ExitCode, HOST_READ_HINT, MkjailError, errnoPath, errnoWords, isMkjailError, isPermissionDenied } from '../errors.js';

/** Where a value came from: the recipe file and the field path inside it ("files.2.from"). */
export interface Origin {
  file: string;
  field: string;
  /** The name of the included recipe the value came from (absent for the recipe itself). */
  included?: string;
}

/** The field as a manifest reason names it: `files.0`, or `files.0 (glibc-nss-base)` from an include. */
export function reasonField(origin: Origin): string {
  return origin.included ? `${origin.field} (${origin.included})` : origin.field;
}

/** A value of a recipe, with where it came from (for error messages and manifest reasons). */
export interface Sourced<T> {
  value: T;
  origin: Origin;
}

/** `Can't use recipe at FILE: field FIELD: WHAT (fix: HINT)`, exit 2 unless told otherwise. */
export function recipeError(origin: Origin, what: string, hint: string, exitCode: ExitCode = EXIT.badInput): MkjailError {
  const where = origin.field ? `field ${origin.field}: ` : '';
  return new MkjailError(`Can't use recipe at ${origin.file}: ${where}${what}`, { hint, exitCode });
}

/**
 * `error` as one line when it is a host path the build may not read (permission denied: exit 3), made
 * by `line` from words naming the path; any other error as it is.
 */
export function deniedLine(error: unknown, line: (what: string) => Error): unknown {
  if (isMkjailError(error) || !isPermissionDenied(error)) return error;
  return line(`host path ${errnoPath(error) ?? '(unnamed)'}: ${errnoWords(error)}`);
}

/** Runs the planning of one recipe field: a host path it may not read is one line naming the field (exit 3). */
export function forField<T>(origin: Origin, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw deniedLine(error, (what) => recipeError(origin, `can't read ${what}`, HOST_READ_HINT, EXIT.environment));
  }
}

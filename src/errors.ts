// Known errors: one clean line for the user (what, where, how to fix) and a documented exit code.

/** Exit codes shared by every command; `mkjail --help` and the README list them. */
export const EXIT = {
  /** Success: the command did what was asked and found nothing wrong. */
  ok: 0,
  /** The command ran, and its answer is "no": missing libraries, drift, audit findings. */
  findings: 1,
  /** Bad input: usage, recipe, ELF file, host file, dangerous output path. Nothing was written. */
  badInput: 2,
  /** The environment can't do it: not root where root is needed, a host tool or user is missing, a host file it may not read, an output file system that fails it. */
  environment: 3,
  /** A bug in mkjail: printed with its stack trace. */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An error the user can act on. `message` says what and where ("Can't read ELF file at /x: truncated
 * program header"), `hint` says how to fix it. The CLI prints both on one line, never a stack.
 */
export class MkjailError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MkjailError';
    this.exitCode = options.exitCode ?? EXIT.badInput;
    this.hint = options.hint;
  }

  /** The single line the CLI prints. */
  toLine(): string {
    return this.hint ? `${this.message} (fix: ${this.hint})` : this.message;
  }
}

export function isMkjailError(error: unknown): error is MkjailError {
  return error instanceof MkjailError;
}

/** Node's errno code of a file-system error, if it has one. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a component of the path is not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EIO: 'input/output error',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EFBIG: 'file too large',
  ENOSYS: 'function not implemented',
  ENOTSUP: 'operation not supported',
};

/**
 * True for "permission denied" and "operation not permitted": a host file (or a directory on its way)
 * the build may not read is the environment's fault (exit 3), never bad input, even for root (a
 * container, `setpriv` or an LSM may have taken CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH away).
 */
export function isPermissionDenied(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'EACCES' || code === 'EPERM';
}

/** The fix for a host file mkjail may not read. */
export const READ_ACCESS_HINT =
  'let mkjail read it and search its directories (run as root with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, which a container, setpriv or an LSM can take away, or chmod u+r it and u+x its directories)';

/** The same for a host file a build brings in. */
export const HOST_READ_HINT = `${READ_ACCESS_HINT}, or leave it out of the recipe; nothing was written and any old jail is unchanged`;

/** The path a failed file-system call names, if any ("/etc/x" of "EACCES: permission denied, open '/etc/x'"). */
export function errnoPath(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'path' in error && typeof error.path === 'string' ? error.path : undefined;
}

/** What a file-system error means, in words ("no such file or directory"), for a one-line message. */
export function errnoWords(error: unknown): string {
  const code = errnoCode(error);
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return ERRNO_WORDS[code] ?? code;
}

/** What a failed command (execFileSync with stderr piped) said: its stderr, or the error itself when it said nothing. */
export function commandWords(error: unknown): string {
  const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
  return stderr || String(error).trim();
}

// The shape every CLI command has, and the streams it writes to (injected so tests can capture them).

export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Environment the command reads (SOURCE_DATE_EPOCH, CI, ...). */
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  name: string;
  /** Full text for `mkjail NAME --help`: usage, options, exit codes, an example. */
  help: string;
  /** Runs with the arguments after the command name; returns the exit code. Throws MkjailError for known failures. */
  run(args: string[], io: CommandIO): Promise<number>;
}

export function defaultIO(): CommandIO {
  return { stdout: toReaderThatMayLeave(process.stdout), stderr: toReaderThatMayLeave(process.stderr), env: process.env, cwd: process.cwd() };
}

/**
 * `stream`, made to stop writing quietly once its reader has gone (`mkjail deps --list ... | head`):
 * the command still finishes (a build is never cut short halfway) and exits with its own code, where
 * Node would end it with an 'error' event's stack trace. Any other error stays an error.
 */
function toReaderThatMayLeave<T extends NodeJS.WritableStream>(stream: T): T {
  if (stream.listenerCount('error') === 0) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    });
  }
  return stream;
}

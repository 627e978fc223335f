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
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

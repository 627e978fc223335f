// Strict option parsing for every command: unknown options and missing values are usage errors (exit 2).
// Usage: `const { values, positionals } = withUsageErrors('build', () => parseArgs({ args, options, ... }))`.
import { EXIT, MkjailError } from '../errors.js';

export function withUsageErrors<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const what = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw new MkjailError(`bad arguments: ${what}`, {
      exitCode: EXIT.badInput,
      hint: `run 'mkjail ${command} --help'`,
    });
  }
}

// argv -> command. Known errors become one clean line and a documented exit code; unknown ones keep their stack.
import { EXIT, isMkjailError } from '../errors.js';
import { TOOL_VERSION } from '../version.js';
import { type Command, type CommandIO, defaultIO } from './command.js';
import { COMMANDS } from './commands/index.js';

/** For the bundle's loader (start.ts), which says how it compiled mkjail's code (`build --timings` shows it). */
export { noteCodeCache } from '../timings.js';

export const GLOBAL_HELP = `mkjail ${TOOL_VERSION}: build minimal, root-owned chroot jails and prove they are tight.

Usage: mkjail <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join('\n')}

Run 'mkjail <command> --help' for a command's options and examples.

Exit codes (every command):
  0   success, nothing found
  1   findings: missing libraries, drift, audit findings, changes pending (--check)
  2   bad input: usage, recipe, ELF file, host file, dangerous output path; nothing was written
  3   environment: needs root, a host tool, or a host user that is missing or changed; a host file
      it may not read; an output file system that is full, read-only, nodev or can't keep owners and modes
  70  internal error (a bug: please report it with the stack trace)
`;

export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(GLOBAL_HELP);
    return name === undefined ? EXIT.badInput : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`${TOOL_VERSION}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr.write(`mkjail: unknown command '${name}' (fix: run 'mkjail --help' for the list)\n`);
    return EXIT.badInput;
  }
  return runCommand(await entry.load(), rest, io);
}

async function runCommand(command: Command, args: string[], io: CommandIO): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (isMkjailError(error)) {
      io.stderr.write(`mkjail ${command.name}: ${error.toLine()}\n`);
      return error.exitCode;
    }
    throw error;
  }
}

/** --help or -h among the command's own arguments: after `--` they belong to the program it starts. */
function wantsHelp(args: string[]): boolean {
  const split = args.indexOf('--');
  const own = split < 0 ? args : args.slice(0, split);
  return own.includes('--help') || own.includes('-h');
}

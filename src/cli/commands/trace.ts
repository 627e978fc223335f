// `mkjail trace [--json] [--timeout S] [--recipe R [--set k=v]] -- COMMAND [ARGS...]`: run a command on
// the host under strace -f and report what it opened, created, executed and connected to; with a
// recipe, only what that recipe's jail lacks, as recipe fields to paste.
import { accessSync, constants } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, MkjailError } from '../../errors.js';
import { buildPlan } from '../../plan/build-plan.js';
import { type Manifest, readManifest } from '../../plan/manifest.js';
import { outputLayout } from '../../plan/output-layout.js';
import { jailFailures, renderJailFailures } from '../../trace/in-jail.js';
import { loadRecipe } from '../../recipe/load-recipe.js';
import { fragmentIsEmpty, recipeFragment, renderFragment } from '../../trace/recipe-fragment.js';
import { runTraced, type TraceRun } from '../../trace/run-traced.js';
import { type PathEvent, pathEvents } from '../../trace/trace-events.js';
import { renderTraceEntries, traceEntries } from '../../trace/trace-report.js';
import type { Command, CommandIO } from '../command.js';
import { withUsageErrors } from '../parse-args.js';

const HELP = `Usage: mkjail trace [--json] [--timeout SECONDS] [--recipe RECIPE [--set NAME=VALUE ...]] -- COMMAND [ARGS...]
       mkjail trace --in-jail DIR [--json] [--timeout SECONDS] [-- ARGS...]

Runs COMMAND on the host under strace -f (Debian's strace) until it and every process it started have
exited, or until the timeout: then each of them gets SIGTERM, and SIGKILL 3 seconds later; nothing is
left running. The command's own output passes through (to stderr with --json or --recipe, so that
stdout holds only the answer). Then it reports, deduplicated and grouped, each path with the program
and the system call: files read; libraries mapped (dlopen()ed ones included); programs executed;
directories listed; paths created, written or removed, with the user that did it (candidates for
writable); UNIX sockets connected; paths probed and not found; paths refused; /proc, /sys and /dev.

With --recipe, the jail that RECIPE builds (planned, not built) is compared with what the run used,
and only what the jail lacks is printed, as a recipe to include or fields to paste: binaries (programs
and libraries), files, writable (each with why: 'traced: nginx created /var/lib/nginx/body'), devices,
and comments for what no field copies (a UNIX socket; /etc/passwd or /etc/group read, where
strace cannot see the names asked for: nss names takes them). RECIPE is never changed. Without a COMMAND,
the recipe's run.argv is traced (launcher mode only). A recipe whose service chroots itself
(run.chroot: 'self') is compared with what the daemon did after its own chroot() alone: give its
command, chrooting into a jail built from RECIPE (named -t DIR/root ...).

With --in-jail DIR, the service of the jail built in DIR is started through DIR/launch (as root; ARGS
are appended to its command, as mkjail run does), with the jail's own identity and chroot, traced
from outside; every open, exec, connect, create or removal that failed inside the jail (ENOENT,
ENOTDIR, EACCES, EPERM, EROFS) is listed with what the same path is on the host: the ones the host has
first (what the jail lacks), then those absent on the host too. Exit 1 when the host has one of them.

Options:
  --in-jail DIR      trace the service of the jail in DIR and list what failed inside it
  --json             print one JSON object: { command, exitCode, timedOut, files: [{ path, kind, by,
                     syscall, user?, owner?, errno? }] } (and fragment, with --recipe)
  --timeout SECONDS  stop the command after this long (default 30)
  --recipe RECIPE    print only what RECIPE's jail lacks
  --set NAME=VALUE   a variable of RECIPE (repeatable)
  -h, --help         this text

Exit codes:
  0  traced (with --recipe: the jail lacks nothing the run used)
  1  --recipe: the jail lacks something, the fragment is printed; --in-jail: something the host
     has failed inside the jail
  2  bad arguments or recipe; COMMAND not found
  3  strace is missing or could not run

Examples:
  mkjail trace --timeout 5 -- /usr/sbin/nginx -g 'daemon off;'
  mkjail trace --recipe recipes/nginx.ts --timeout 5 > nginx-traced.ts
  mkjail trace --in-jail /srv/jail/nginx --timeout 5
`;

export const traceCommand: Command = {
  name: 'trace',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = withUsageErrors('trace', () =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          json: { type: 'boolean', default: false },
          timeout: { type: 'string', default: '30' },
          recipe: { type: 'string' },
          set: { type: 'string', multiple: true },
          'in-jail': { type: 'string' },
        },
      }),
    );
    const timeoutSeconds = parseTimeout(values.timeout);
    if (values['in-jail'] !== undefined) {
      if (values.recipe) throw usage('--in-jail and --recipe do not go together');
      return traceInJail(values['in-jail'], positionals, { json: values.json, timeoutSeconds }, io);
    }
    if (values.set && !values.recipe) throw usage('--set needs --recipe');
    const manifest = values.recipe ? await plannedJail(values.recipe, values.set ?? [], io) : undefined;
    const command = positionals.length > 0 ? positionals : defaultCommand(manifest);
    checkCommand(command[0] ?? '', io);
    const quiet = values.json || manifest !== undefined;
    const run = await runTraced(command, { timeoutSeconds, cwd: io.cwd, env: io.env, stdoutFd: quiet ? 2 : 1 });
    const events = pathEvents(run.records, { uid: process.getuid?.() ?? 0, cwd: io.cwd, program: basename(command[0] ?? '') });
    const entries = traceEntries(manifest?.run?.chroot === 'self' ? afterOwnChroot(events, command) : events);
    io.stderr.write(`mkjail trace: ${endOf(command, run, timeoutSeconds)}\n`);
    if (!manifest) {
      io.stdout.write(values.json ? `${JSON.stringify({ command, ...runFacts(run), files: entries })}\n` : renderTraceEntries(entries));
      return EXIT.ok;
    }
    const identity = manifest.identity ?? { user: 'nobody', group: 'nogroup' };
    const fragment = recipeFragment(entries, manifest, { user: identity.user, group: identity.group });
    const name = `${manifest.recipe.name}-traced`;
    if (values.json) io.stdout.write(`${JSON.stringify({ command, ...runFacts(run), files: entries, fragment })}\n`);
    else io.stdout.write(fragmentIsEmpty(fragment) ? `// the jail of ${values.recipe} lacks nothing the traced run used\n${fragment.notes.map((note) => `// ${note}\n`).join('')}` : renderFragment(fragment, { recipe: values.recipe ?? '', name, command }));
    return fragmentIsEmpty(fragment) ? EXIT.ok : EXIT.findings;
  },
};

/** Starts the jail's service through DIR/launch (ARGS appended, as mkjail run does), traced from outside. */
async function traceInJail(dir: string, args: string[], options: { json: boolean; timeoutSeconds: number }, io: CommandIO): Promise<number> {
  const layout = outputLayout(dir);
  const manifest = readManifest(layout.manifest);
  if (!manifest.run) throw usage(`the jail in ${dir} has no run (a tree-only jail): there is no service to start`);
  if (process.getuid?.() !== 0) throw new MkjailError("Can't trace a jail's service: its launcher needs root", { exitCode: EXIT.environment, hint: 'run mkjail trace --in-jail as root' });
  const command = [layout.launcher, ...args];
  const run = await runTraced(command, { timeoutSeconds: options.timeoutSeconds, cwd: io.cwd, env: io.env, stdoutFd: options.json ? 2 : 1 });
  const failures = jailFailures(pathEvents(run.records, { uid: 0, cwd: io.cwd, program: 'launch' }));
  io.stderr.write(`mkjail trace: ${endOf(command, run, options.timeoutSeconds)}\n`);
  io.stdout.write(options.json ? `${JSON.stringify({ command, ...runFacts(run), failures })}\n` : renderJailFailures(failures));
  return failures.some((failure) => failure.host !== 'nothing') ? EXIT.findings : EXIT.ok;
}

function usage(what: string): MkjailError {
  return new MkjailError(`bad arguments: ${what}`, { exitCode: EXIT.badInput, hint: "run 'mkjail trace --help'" });
}

function parseTimeout(text: string): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds <= 0 || seconds > 86400) throw usage(`--timeout ${text} is not a number of seconds from 0 to 86400`);
  return seconds;
}

async function plannedJail(recipe: string, sets: string[], io: CommandIO): Promise<Manifest> {
  const set: Record<string, string> = {};
  for (const word of sets) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw usage(`--set ${word} is not NAME=VALUE`);
    set[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return (await buildPlan(await loadRecipe(recipe, { set, cwd: io.cwd }))).manifest;
}

/**
 * A daemon that chroots itself (run.chroot 'self') opens its libraries and host files before its
 * chroot(), by design: only what it does inside the jail is compared with the recipe's jail.
 */
function afterOwnChroot(events: PathEvent[], command: string[]): PathEvent[] {
  const inside = events.filter((event) => event.root !== undefined);
  if (inside.length > 0) return inside;
  throw new MkjailError(`${command.join(' ')} never chroot()ed: the recipe's service chroots itself (run.chroot: 'self'), and only what it opens inside the jail is compared`, {
    exitCode: EXIT.badInput,
    hint: 'build the jail, then trace the daemon as the recipe starts it, chrooting into DIR/root (named -t DIR/root ...)',
  });
}

function defaultCommand(manifest: Manifest | undefined): string[] {
  if (manifest?.run?.chroot === 'launcher') return manifest.run.argv;
  throw usage(manifest ? "give the command after -- (the recipe's run is not in launcher mode)" : 'missing COMMAND after --');
}

/** COMMAND must name an executable file, on PATH when it has no slash. */
function checkCommand(program: string, io: CommandIO): void {
  const candidates = program.includes('/') ? [join(io.cwd, program)] : (io.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, program));
  const found = candidates.some((path) => {
    try {
      accessSync(program.startsWith('/') ? program : path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  if (!found) throw usage(`COMMAND ${program} is not an executable file${program.includes('/') ? '' : ' on PATH'}`);
}

function runFacts(run: TraceRun): { exitCode: number | null; timedOut: boolean } {
  return { exitCode: run.exitCode ?? null, timedOut: run.timedOut };
}

function endOf(command: string[], run: TraceRun, timeoutSeconds: number): string {
  if (run.timedOut) return `${command[0]} stopped after the timeout of ${timeoutSeconds} s (SIGTERM, then SIGKILL to what was left)`;
  return `${command[0]} exited with ${run.exitCode ?? 'an unknown status'}`;
}

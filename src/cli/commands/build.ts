// `mkjail build`: build a jail from a recipe (a tree in DIR/root, or a reproducible tar).
import { parseArgs } from 'node:util';
import { EXIT, MkjailError } from '../../errors.js';
import { importModule } from '../../dynamic-import.js';
import { type BuildResult, BuildsFailure, type StepRunner, runBuild, runBuilds } from '../../stage/run-build.js';
import { PhaseClock, type PhaseTimes, codeCacheState, formatTimes, nodeStartupMs, sinceProcessStart, startClock } from '../../timings.js';
import type { RecipeModules } from '../../recipe/load-recipe.js';
import type { Command, CommandIO } from '../command.js';
import { type Job, readJobs } from '../jobs-file.js';
import { withUsageErrors } from '../parse-args.js';

const HELP = `Usage: mkjail build RECIPE --out DIR [--set NAME=VALUE ...] [--json] [--check] [--tar FILE] [--timings]
       mkjail build RECIPE --jobs FILE [--set NAME=VALUE ...] [--json] [--check] [--timings]

Builds the jail a recipe describes. DIR/root is the jail: root-owned, no write bit but on the recipe's
writable paths, /dev holding only null. DIR/manifest.json, DIR/perms.sh, DIR/launch and
DIR/NAME.service live beside it, outside the jail. The new tree is staged beside DIR/root and swapped
in atomically; data in writable paths is carried over. Building again with the same inputs writes
nothing and reports changed: false. A recipe with createUser: true has its service user (and group)
created on the host first when missing: a system user, no home, shell /usr/sbin/nologin.

Options:
  --out DIR          output directory (new, empty, or made by mkjail build); required
  --set NAME=VALUE   set a recipe variable (repeatable); unknown names are errors
  --json             print one JSON object (changed, root, entries, bytes, warnings, changes,
                     createdAccounts)
  --check            print what would change and write nothing (exit 1 when something would)
  --tar FILE         write the jail as a reproducible tar instead of DIR/root (no root needed);
                     DIR still gets manifest.json and the scripts. Honours SOURCE_DATE_EPOCH.
  --jobs FILE        build many jails from RECIPE in this one process: each line of FILE (- for
                     stdin) is one job, "--out DIR [--set NAME=VALUE ...] [--tar FILE]" (quoted as
                     in sh; blank lines and # comments skipped). --set given here applies to every
                     job, a job's own --set wins. Jobs run in order; the first that fails stops the
                     rest (those before it stay built) and its error names its line. One result
                     line per job (with --json, one JSON object per line, with "job")
  --timings          print where the time went, in milliseconds by phase (start-up, imports,
                     recipe load, output check, plan, hash, artifacts, compare, stage, swap, sync,
                     other), and whether mkjail's code came from its code cache (hit, miss,
                     rejected, off), on stderr; with --json, as the object's "timings" and
                     "codeCache" fields instead

Environment:
  MKJAIL_DIGEST_CACHE=off  hash every host file again. As root, a build otherwise takes the sha256 of
                     a host file whose device, inode, size and times are what they were when it was
                     hashed from /var/cache/mkjail/digests (root's alone); the jail is always hashed
  MKJAIL_CODE_CACHE=off    compile mkjail's own code from its source, not from V8's code cache kept
                     beside it (dist/bundle/*.v8cache, the bundle owner's alone)

Exit codes:
  0   built (or already up to date; with --check: nothing would change)
  1   --check only: something would change
  2   bad input: usage, recipe, missing host file or user, dangerous --out; nothing was written
  3   environment: a tree build (or creating the service user) needs root; a host tool failed; a host
      file may not be read (permission denied); the output file system is full, read-only, nodev, or
      can't keep owners and modes (FAT)
  70  internal error

Example:
  sudo mkjail build recipes/bind.ts --out /srv/jails/bind --set mode=wrapper
  mkjail build recipes/id.ts --out ./out --tar ./id.tar --json
  printf -- '--out /srv/jails/%s --set user=%s\\n' alice alice bob bob > jobs
  sudo mkjail build recipes/sftp.ts --jobs jobs
`;

export const buildCommand: Command = {
  name: 'build',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = withUsageErrors('build', () =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          out: { type: 'string' },
          set: { type: 'string', multiple: true },
          json: { type: 'boolean' },
          check: { type: 'boolean' },
          tar: { type: 'string' },
          timings: { type: 'boolean' },
          jobs: { type: 'string' },
        },
      }),
    );
    const clock = values.timings ? startedClock() : undefined;
    const [recipe, ...extra] = positionals;
    if (!recipe || extra.length > 0) throw usage(recipe ? `unexpected argument ${extra[0]}` : 'missing RECIPE');
    if (values.jobs !== undefined) {
      if (values.out !== undefined || values.tar !== undefined) throw usage('--out and --tar go on each line of the --jobs file, not on the command line');
      return runJobs(recipe, readJobs(values.jobs, io.cwd), values, io, clock);
    }
    if (!values.out) throw usage('missing --out DIR');
    let result: BuildResult & { timings?: PhaseTimes; codeCache?: string };
    try {
      result = await runBuild(
        { recipe, out: values.out, set: parseSets(values.set ?? []), check: values.check ?? false, cwd: io.cwd, env: io.env, ...(values.tar === undefined ? {} : { tar: values.tar }) },
        stepRunner(io, values.json ?? false),
      );
    } finally {
      startClock(undefined);
    }
    if (clock) {
      const { times, total } = finalTimes(clock);
      if (values.json) result = { ...result, timings: { ...times, total }, ...codeCacheField() };
      else io.stderr.write(`mkjail build: timings: ${formatTimes(times, total, codeCacheState())}\n`);
    }
    report(result, io, { json: values.json ?? false, check: values.check ?? false });
    return values.check && result.changed ? EXIT.findings : EXIT.ok;
  },
};

interface JobsFlags {
  set?: string[] | undefined;
  json?: boolean | undefined;
  check?: boolean | undefined;
}

/**
 * Builds every job of a jobs file from one recipe, in order, in this process: Node, mkjail's code and
 * the recipe's module load once, host look-ups and file hashes are shared, one flush covers every
 * job's new files, and each job gets its own --set values and its own atomic build of its own DIR.
 */
async function runJobs(recipe: string, jobs: Job[], flags: JobsFlags, io: CommandIO, clock: PhaseClock | undefined): Promise<number> {
  const common = parseSets(flags.set ?? []);
  const recipeModules: RecipeModules = new Map();
  const options = jobs.map((job) => ({ recipe, out: job.out, set: { ...common, ...parseSets(job.set) }, check: flags.check ?? false, cwd: io.cwd, env: io.env, recipeModules, ...(job.tar === undefined ? {} : { tar: job.tar }) }));
  let results: BuildResult[];
  try {
    results = await runBuilds(options);
  } catch (error) {
    if (!(error instanceof BuildsFailure)) throw error;
    reportJobs(jobs, error.results, io, flags);
    const cause = error.error;
    const where = jobs[error.index]?.where ?? `job ${error.index + 1}`;
    if (cause instanceof MkjailError) throw new MkjailError(`job at ${where}: ${cause.message}`, { exitCode: cause.exitCode, ...(cause.hint === undefined ? {} : { hint: cause.hint }) });
    throw cause;
  } finally {
    startClock(undefined);
  }
  reportJobs(jobs, results, io, flags);
  const pending = results.some((r) => r.changed);
  if (clock) {
    const { times, total } = finalTimes(clock);
    io.stderr.write(`mkjail build: timings (${jobs.length} jobs): ${formatTimes(times, total, codeCacheState())}\n`);
  }
  return flags.check && pending ? EXIT.findings : EXIT.ok;
}

function reportJobs(jobs: Job[], results: BuildResult[], io: CommandIO, flags: JobsFlags): void {
  for (const [index, result] of results.entries()) {
    if (flags.json) io.stdout.write(`${JSON.stringify({ job: jobs[index]?.where, ...result })}\n`);
    else report(result, io, { json: false, check: flags.check ?? false });
  }
}

/** A clock that already holds Node's start-up and the loading of mkjail's code up to this command. */
function startedClock(): PhaseClock {
  const clock = new PhaseClock();
  const startup = nodeStartupMs();
  clock.add('start-up', startup);
  clock.add('imports', sinceProcessStart() - startup);
  startClock(clock);
  return clock;
}

/** With --json --timings: how mkjail's code was compiled, beside the timings (whose fields are all milliseconds). */
function codeCacheField(): { codeCache?: string } {
  const state = codeCacheState();
  return state === undefined ? {} : { codeCache: state };
}

/** The phases, with what no phase measured as `other`, and the total since the process started. */
function finalTimes(clock: PhaseClock): { times: PhaseTimes; total: number } {
  const total = Math.round(sinceProcessStart() * 10) / 10;
  const times = clock.snapshot();
  const measured = Object.values(times).reduce((sum, ms) => sum + ms, 0);
  return { times: { ...times, other: Math.max(0, Math.round((total - measured) * 10) / 10) }, total };
}

function usage(what: string): MkjailError {
  return new MkjailError(`bad arguments: ${what}`, { hint: "run 'mkjail build --help'" });
}

function parseSets(sets: string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw usage(`--set ${set} is not NAME=VALUE`);
    vars[set.slice(0, eq)] = set.slice(eq + 1);
  }
  return vars;
}

/** listr2 on a terminal, one plain line per step otherwise, nothing with --json. */
function stepRunner(io: CommandIO, json: boolean): StepRunner {
  if (json) return async (_title, work) => work();
  // A terminal with no width (a pty nobody sized) would wrap every character: use plain lines there.
  if (io.stderr.isTTY && ((io.stderr as NodeJS.WriteStream).columns ?? 0) > 0) {
    // listr2 is loaded only here, on a terminal: a build in a script or a pipeline never pays for it.
    return async (title, work) => {
      const { Listr, ListrLogger, ProcessOutput } = await importModule<typeof import('listr2')>('listr2');
      const output = new ProcessOutput(io.stderr as NodeJS.WriteStream, io.stderr as NodeJS.WriteStream);
      let value: Awaited<ReturnType<typeof work>> | undefined;
      await new Listr([{ title, task: async () => { value = await work(); } }], { rendererOptions: { logger: new ListrLogger({ processOutput: output }) }, registerSignalListeners: false, exitOnError: true }).run();
      return value as Awaited<ReturnType<typeof work>>;
    };
  }
  return async (title, work) => {
    io.stderr.write(`mkjail build: ${title}\n`);
    return work();
  };
}

function report(result: BuildResult, io: CommandIO, mode: { json: boolean; check: boolean }): void {
  if (mode.json) {
    io.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  for (const warning of result.warnings) io.stderr.write(`mkjail build: warning: ${warning}\n`);
  const where = result.tar ?? result.root ?? result.dir;
  if (mode.check) {
    for (const change of result.changes) io.stdout.write(`would ${change}\n`);
    io.stdout.write(result.changed ? `${where}: ${result.changes.length} change(s) pending\n` : `${where}: up to date\n`);
    return;
  }
  for (const account of result.createdAccounts) io.stdout.write(`created system ${account.type} ${account.name} (${account.type === 'user' ? 'uid' : 'gid'} ${String(account.id)})\n`);
  const size = `${result.entries} entries, ${result.bytes} bytes`;
  io.stdout.write(result.changed ? `built ${where} (${size})\n` : `${where} is up to date (${size}); nothing written\n`);
}

// `mkjail run DIR [-- args]`: validates the jail's manifest, then runs DIR/launch (outside the jail) with
// the extra arguments, stdio passed through and signals forwarded; its exit code is ours.
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, lstatSync, type Stats, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, MkjailError } from '../../errors.js';
import { readManifest } from '../../plan/manifest.js';
import type { Command, CommandIO } from '../command.js';
import { withUsageErrors } from '../parse-args.js';
import { modeOf } from '../../fs/host-trust.js';

const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

export const runCommand: Command = {
  name: 'run',
  help: `Usage: mkjail run DIR [-- ARGS...]

Starts the service of the jail built in DIR (by 'mkjail build --out DIR') through DIR/launch, which
runs outside the jail as root: it checks the service user's ids against the ones baked at build time,
chdirs into DIR/root, closes every inherited descriptor above 2, clears the environment (PWD=/), sets
no_new_privs, and either chroots and drops to the service user itself or lets a self-chrooting daemon
(named -t) do it. ARGS are appended to the recipe's command (after --, -h and --help are ARGS too).

Runs in the foreground and starts DIR/launch in a process group of its own:
${signalList()} are passed on to the service,
once each (a Ctrl-C reaches mkjail, which forwards it).

Refuses (exit 3) unless DIR and DIR/launch are owned by root and not writable by group or others: root
would otherwise run a script someone else can change.

Exit codes:
  the service's own exit code once it was started (128+N when killed by signal N)
  2   DIR holds no valid manifest.json, or the recipe has no run, or DIR/launch is missing
  3   not root, DIR or DIR/launch not root-owned or writable by group or others, or the service user or
      group is missing or changed on the host

Example:
  sudo mkjail run /srv/jail/bind -- -d 1
`,
  run: runJail,
};

async function runJail(args: string[], io: CommandIO): Promise<number> {
  const split = args.indexOf('--');
  const own = split < 0 ? args : args.slice(0, split);
  const extra = split < 0 ? [] : args.slice(split + 1);
  const { positionals } = withUsageErrors('run', () => parseArgs({ args: own, options: {}, allowPositionals: true, strict: true }));
  if (positionals.length !== 1) {
    throw new MkjailError(`bad arguments: expected one DIR, got ${positionals.length}`, { hint: "run 'mkjail run --help'" });
  }
  const dir = resolve(io.cwd, positionals[0] as string);
  const launch = checkedLauncher(dir);
  return runLauncher(launch, extra);
}

/** DIR/launch, after the manifest beside it was re-validated and says the jail has something to run. */
function checkedLauncher(dir: string): string {
  const manifest = readManifest(resolve(dir, 'manifest.json'));
  if (!manifest.run) {
    throw new MkjailError(`Can't run the jail at ${dir}: recipe ${manifest.recipe.name} has no run`, {
      exitCode: EXIT.badInput,
      hint: 'add run: { argv: [...] } to the recipe and rebuild',
    });
  }
  const launch = resolve(dir, 'launch');
  try {
    accessSync(launch, constants.X_OK);
  } catch {
    throw new MkjailError(`Can't run the jail at ${dir}: ${launch} is missing or not executable`, {
      exitCode: EXIT.badInput,
      hint: 'rebuild the jail with mkjail build',
    });
  }
  requireRootOnly(dir, dir, statSync(dir));
  requireRootOnly(dir, launch, lstatSync(launch));
  return launch;
}

/** Root runs DIR/launch: neither it nor the directory holding it may be changeable by anyone but root. */
function requireRootOnly(dir: string, path: string, stats: Stats): void {
  const problem =
    stats.isSymbolicLink() ? 'is a symbolic link'
    : stats.uid !== 0 ? `is owned by uid ${stats.uid}, not root`
    : (stats.mode & 0o022) !== 0 ? `has mode ${modeOf(stats)}, which lets group or others write`
    : undefined;
  if (problem === undefined) return;
  throw new MkjailError(`Can't run the jail at ${dir}: ${path} ${problem}`, {
    exitCode: EXIT.environment,
    hint: 'rebuild the jail as root with mkjail build, or chown root and chmod go-w it',
  });
}

function runLauncher(launch: string, extra: string[]): Promise<number> {
  return new Promise((done, fail) => {
    // Listening starts before the spawn: a signal that came after the service started but before its
    // listener would otherwise end mkjail by default and leave the service running, never told. Node
    // runs a listener only from the event loop, so `child` is set by the time one runs.
    let child: ChildProcess | undefined;
    const forward = (signal: NodeJS.Signals) => child?.kill(signal);
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    // A process group of its own: a signal the terminal sends to mkjail's group arrives once, forwarded.
    child = spawn(launch, extra, { stdio: 'inherit', detached: true });
    const stopForwarding = () => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    };
    child.once('error', (error) => {
      stopForwarding();
      fail(error);
    });
    child.once('exit', (code, signal) => {
      stopForwarding();
      done(code ?? 128 + signalNumber(signal));
    });
  });
}

/** "SIGTERM, SIGINT ... and SIGUSR2", for the help text. */
function signalList(): string {
  return `${FORWARDED_SIGNALS.slice(0, -1).join(', ')} and ${FORWARDED_SIGNALS.at(-1)}`;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? osConstants.signals[signal] : 0;
}

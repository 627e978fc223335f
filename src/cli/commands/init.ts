// `mkjail init BINARY [--name N] [--out FILE] [--timeout S] [-- PROBE ARGS]`: write a recipe for a
// binary that builds as written: the binary (its closure comes from ELF at build time), what a traced
// run of the probe found when probe arguments are given, and commented placeholders for the rest.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, MkjailError } from '../../errors.js';
import { buildPlan } from '../../plan/build-plan.js';
import { loadRecipe } from '../../recipe/load-recipe.js';
import { fragmentFieldLines, quote, type RecipeFragment, recipeFragment } from '../../trace/recipe-fragment.js';
import { runTraced } from '../../trace/run-traced.js';
import { pathEvents } from '../../trace/trace-events.js';
import { traceEntries } from '../../trace/trace-report.js';
import type { Command, CommandIO } from '../command.js';
import { withUsageErrors } from '../parse-args.js';

const HELP = `Usage: mkjail init BINARY [--name NAME] [--out FILE] [--timeout SECONDS] [-- PROBE ARGS...]

Writes a recipe for BINARY (an absolute path, or a name on PATH) that mkjail build accepts as written:
BINARY in binaries (its interpreter and library closure are read from ELF at build time), user
nobody, run: BINARY with the probe arguments, and commented placeholders for writable paths and
devices. With PROBE ARGS, BINARY runs once on the host with them under strace (as mkjail trace does,
stopped at the timeout) and what that run used and a jail of the plain recipe would lack is added,
each with its reason: libraries it dlopen()ed, files it read, directories it wrote (writable, owned by
nobody), nss and runtime items, devices.

Options:
  --name NAME        the recipe's name (default: BINARY's file name, lower-cased, [a-z0-9-])
  --out FILE         write the recipe to FILE (refused if it exists); default: standard output
  --timeout SECONDS  stop the probe run after this long (default 10)
  -h, --help         this text

Exit codes:
  0  written
  2  bad arguments, BINARY not found, FILE exists
  3  strace missing (with PROBE ARGS)

Example:
  mkjail init /usr/bin/date --out date.ts -- +%Z
  sudo mkjail build date.ts --out /srv/jail/date
`;

export const initCommand: Command = {
  name: 'init',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = withUsageErrors('init', () =>
      parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, out: { type: 'string' }, timeout: { type: 'string', default: '10' } } }),
    );
    const [given, ...probe] = positionals;
    if (!given) throw usage('missing BINARY');
    const binary = findBinary(given, io);
    const name = values.name ?? (basename(binary).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'service');
    if (!/^[a-z0-9-]+$/.test(name)) throw usage(`--name ${name} is not [a-z0-9-]+`);
    const out = values.out === undefined ? undefined : resolve(io.cwd, values.out);
    if (out && existsSync(out)) throw new MkjailError(`Can't write the recipe at ${out}: it exists`, { exitCode: EXIT.badInput, hint: 'give a new file, or remove it first' });
    const timeout = Number(values.timeout);
    if (!(timeout > 0)) throw usage(`--timeout ${values.timeout} is not a number of seconds`);
    const fragment = probe.length > 0 ? await probeRun(binary, name, probe, timeout, io) : undefined;
    const text = recipeText(binary, name, probe, fragment);
    if (out) writeFileSync(out, text, { flag: 'wx', mode: 0o644 });
    else io.stdout.write(text);
    return EXIT.ok;
  },
};

function usage(what: string): MkjailError {
  return new MkjailError(`bad arguments: ${what}`, { exitCode: EXIT.badInput, hint: "run 'mkjail init --help'" });
}

function findBinary(given: string, io: CommandIO): string {
  const candidates = given.includes('/') ? [resolve(io.cwd, given)] : (io.env.PATH ?? '').split(':').filter((dir) => dir.startsWith('/')).map((dir) => join(dir, given));
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw usage(`BINARY ${given} is not ${given.includes('/') ? 'a file' : 'on PATH'}`);
  return found;
}

/** The plain recipe's plan, compared with a traced run of BINARY PROBE...: what its jail lacks. */
async function probeRun(binary: string, name: string, probe: string[], timeout: number, io: CommandIO): Promise<RecipeFragment> {
  const scratch = mkdtempSync(join(tmpdir(), 'mkjail-init-'));
  try {
    const plain = join(scratch, 'plain.ts');
    writeFileSync(plain, recipeText(binary, name, probe, undefined), { mode: 0o600 });
    const manifest = (await buildPlan(await loadRecipe(plain, { cwd: io.cwd }))).manifest;
    const run = await runTraced([binary, ...probe], { timeoutSeconds: timeout, cwd: io.cwd, env: io.env, stdoutFd: 2 });
    io.stderr.write(`mkjail init: traced ${[binary, ...probe].join(' ')}: ${run.timedOut ? 'stopped at the timeout' : `exited with ${run.exitCode ?? 'an unknown status'}`}\n`);
    const entries = traceEntries(pathEvents(run.records, { uid: process.getuid?.() ?? 0, cwd: io.cwd, program: basename(binary) }));
    return recipeFragment(entries, manifest, { user: 'nobody', group: 'nogroup' });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function recipeText(binary: string, name: string, probe: string[], fragment: RecipeFragment | undefined): string {
  const empty: RecipeFragment = { binaries: [], files: [], writable: [], devices: [], nss: undefined, runtime: [], notes: [] };
  const fields = fragmentFieldLines(fragment ?? empty, [{ path: binary, why: 'with its interpreter and library closure, read from ELF' }], true);
  const lines = [
    `// A recipe for ${binary}, written by mkjail init${fragment ? ` from a traced run of: ${[binary, ...probe].join(' ')}` : ''}.`,
    `// Review it, then: mkjail build ${name}.ts --out DIR`,
    "import { defineRecipe } from 'mkjail';",
    '',
    'export default defineRecipe({',
    `  name: ${quote(name)},`,
    ...fields,
    "  // The identity it runs as, looked up on the host at build time (root is refused): the service's own user.",
    "  user: 'nobody',",
    "  group: 'nogroup',",
  ];
  if (!fragment || fragment.writable.length === 0) lines.push("  // Paths it writes, each owned by the user and with a reason:", "  // writable: [{ path: '/var/lib/NAME', owner: 'nobody', group: 'nogroup', mode: '0700', why: 'its state' }],");
  if (!fragment || fragment.devices.length === 0) lines.push("  // Devices beyond /dev/null, each with a reason: devices: ['null', { name: 'urandom', why: '...' }],");
  lines.push(`  run: { argv: [${[binary, ...probe].map(quote).join(', ')}] },`, '});', '');
  return lines.join('\n');
}

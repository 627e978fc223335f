#!/usr/bin/env node
// Side by side, in one run: mkjail against the tool doing the same work, each case measured as paired
// runs alternating A and B (A first on even runs, B first on odd ones), wall milliseconds of the whole
// command (process start included), every command with the same small environment (PATH, HOME, LANG:
// see env). Writes bench/results.json: per case the median, min and max of each
// side and ratio = median A / median B (below 1: mkjail is faster).
//   sudo node bench/compare.mjs [--runs N] [--only SUBSTRING] [--scratch DIR]
// --only measures the cases whose name holds SUBSTRING and keeps the others of an earlier results.json.
// Cases (root only but `deps`):
//   bind self|wrapper cold|no-op   recipes/bind.ts against jk_cp + jk_init + jk_cp of the same config,
//                                   with the host files' digests root keeps across runs, and cold once
//                                   more with every host file hashed (MKJAIL_DIGEST_CACHE=off), as
//                                   every other case builds
//   binaries N                      a recipe of N programs of /usr/bin against `jk_cp` of the same N;
//                                   mkjail's plan and hash phases (--timings) give the cost per binary,
//                                   and the step from the row before what one more binary costs
//   host files N                    a recipe of N files of /usr/share against `jk_cp` of the same N
//                                   (above 1000 files against `cp --parents`: jk_cp takes minutes)
//   jails N                         N jails from one recipe, one per host user, in one `mkjail build
//                                   --jobs` against N `jk_init` calls
//   deps                            `mkjail deps --list` of every ELF executable in /usr/bin and /usr/sbin
//                                   against ldd (one run each), lddtree and scanelf -qn
// jailkit refuses a jail below a directory others can write (/tmp): the scratch directory defaults to
// /var/lib/mkjail-bench-PID (root-owned, on disk like a real jail), removed at the end.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { CLEAN_ENV } from './clean-env.mjs';
import { elfExecutables } from './elf-programs.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const MKJAIL = join(REPO, 'bin/mkjail');
const RESULTS = join(REPO, 'bench/results.json');
/** Every command runs with the same small environment (clean-env.mjs says why). */
const env = CLEAN_ENV;
/** Variables of the caller's environment left out of every command (see env). */
const LEFT_OUT = Object.keys(process.env).filter((name) => /^NODE_|^MKJAIL_/.test(name)).sort();
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string' },
    scratch: { type: 'string', default: `/var/lib/mkjail-bench-${process.pid}` },
    config: { type: 'string', default: '/etc/bind/named.conf' },
  },
});
const RUNS = Number(values.runs);
const SCRATCH = values.scratch;
const asRoot = process.getuid?.() === 0;

// ---- measuring -------------------------------------------------------------------------------------

/** Runs argv (no shell unless argv says so); wall ms and stdout. Throws when it fails. */
function run(argv, options = {}, mayFail = false) {
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 && mayFail) return undefined;
  if (result.status !== 0) throw new Error(`${argv.slice(0, 4).join(' ')} ... failed (${result.status}): ${String(result.stderr).slice(0, 500)}`);
  return { ms, stdout: result.stdout };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const stats = (xs) => ({ median: round(median(xs)), min: round(Math.min(...xs)), max: round(Math.max(...xs)), runs: xs.length });
const round = (x) => Math.round(x * 10) / 10;

/**
 * One case: `a` and `b` are { label, setup?(), time() -> { ms, timings? } }; setup runs untimed before each
 * run (a cold build removes the previous jail). Alternates the order every run.
 */
function paired(name, a, b, runs = RUNS) {
  const times = { a: [], b: [] };
  const phases = [];
  for (let i = 0; i < runs; i++) {
    for (const side of i % 2 === 0 ? ['a', 'b'] : ['b', 'a']) {
      const tool = side === 'a' ? a : b;
      tool.setup?.();
      const result = tool.time();
      times[side].push(result.ms);
      if (side === 'a' && result.timings) phases.push(result.timings);
    }
  }
  const row = { case: name, a: { tool: a.label, ...stats(times.a) }, b: { tool: b.label, ...stats(times.b) } };
  row.ratio = Math.round((row.a.median / row.b.median) * 100) / 100;
  if (phases.length > 0) row.a.phases = medianPhases(phases);
  console.log(`${name.padEnd(42)} ${String(row.a.median).padStart(8)} ms  vs ${String(row.b.median).padStart(8)} ms  ratio ${row.ratio}`);
  return row;
}

function medianPhases(list) {
  const names = [...new Set(list.flatMap((t) => Object.keys(t)))];
  return Object.fromEntries(names.map((n) => [n, round(median(list.map((t) => t[n] ?? 0)))]));
}

/**
 * Builds hash every host file, as on a host mkjail has never seen: the digests root keeps across
 * runs (MKJAIL_DIGEST_CACHE) are off unless a case says so.
 */
const HASH_EVERYTHING = { ...env, MKJAIL_DIGEST_CACHE: 'off' };

/** mkjail build with --json --timings: wall ms, and the phases it reports. */
function mkjail(args, buildEnv = HASH_EVERYTHING) {
  const { ms, stdout } = run([process.execPath, MKJAIL, ...args, '--json', '--timings'], { env: buildEnv });
  const lines = stdout.trim().split('\n');
  return { ms, timings: JSON.parse(lines.at(-1)).timings };
}

const sh = (script, ...args) => run(['bash', '-c', script, 'bench', ...args]);
const fresh = (dir) => () => {
  rmSync(dir, { recursive: true, force: true });
};

// ---- inputs ----------------------------------------------------------------------------------------

/** Programs whose closure resolves completely (so both tools copy the same thing). */
async function resolvablePrograms(count) {
  const { resolveClosure } = await import('../dist/resolve/library-closure.js');
  return elfExecutables(['/usr/bin'], { skipSetId: true }).filter((f) => resolveClosure([f]).missing.length === 0).slice(0, count);
}

/** Regular files under /usr/share, readable by all, in a stable order. */
function hostFiles(count) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      if (out.length >= count) return;
      const path = `${dir}/${name}`;
      const st = lstatSync(path);
      if (st.isDirectory()) walk(path);
      else if (st.isFile() && (st.mode & 0o444) === 0o444 && !/[^\w./+-]/.test(path)) out.push(path);
    }
  };
  walk('/usr/share/doc');
  if (out.length < count) walk('/usr/share/zoneinfo');
  return out.slice(0, count);
}

/** A recipe file in the scratch directory (root-owned, 0644, below root-only directories). */
function writeRecipe(name, body) {
  const path = join(SCRATCH, 'recipes', `${name}.ts`);
  writeFileSync(path, `import { defineRecipe } from 'mkjail';\nexport default defineRecipe(${body});\n`, { mode: 0o644 });
  return path;
}

// ---- cases -----------------------------------------------------------------------------------------

function bindCases() {
  const rows = [];
  const ini = join(SCRATCH, 'jk-named.ini');
  writeFileSync(ini, `[named-extras]\npaths = /etc/localtime\nusers = bind\ngroups = bind\ndevices = /dev/null\nemptydirs = /var/cache/bind, /run/named\n`);
  const config = [values.config, ...followedFiles()];
  for (const mode of ['self', 'wrapper']) {
    const out = join(SCRATCH, `bind-${mode}`);
    const jail = join(SCRATCH, `jk-bind-${mode}`);
    const args = ['build', join(REPO, 'recipes/bind.ts'), '--out', out, '--set', `mode=${mode}`, '--set', `config=${values.config}`];
    // Self mode: named chroots itself, the jail holds no program: jailkit copies only the config, the
    // account, /dev/null and the state directories. Wrapper mode: named and its libraries as well.
    const program = mode === 'wrapper' ? 'jk_cp -j "$1" /usr/sbin/named >/dev/null; ' : '';
    const jk = () => sh(`mkdir -p "$1" && ${program}jk_init -c "$2" -j "$1" named-extras >/dev/null && jk_cp -j "$1" "\${@:3}" >/dev/null`, jail, ini, ...config);
    // As a user's second build onwards: the host files' digests kept by the first (the jail is hashed whole).
    const kept = () => mkjail(args, env);
    rows.push(paired(`bind ${mode} cold`, { label: 'mkjail build', setup: fresh(out), time: kept }, { label: 'jailkit', setup: fresh(jail), time: jk }));
    rows.push(paired(`bind ${mode} cold, every host file hashed`, { label: 'mkjail build (MKJAIL_DIGEST_CACHE=off)', setup: fresh(out), time: () => mkjail(args) }, { label: 'jailkit', setup: fresh(jail), time: jk }));
    rows.push(paired(`bind ${mode} no-op`, { label: 'mkjail build (again)', time: kept }, { label: 'jailkit (again)', time: jk }));
  }
  return rows;
}

function followedFiles() {
  const code = `import('${join(REPO, 'dist/resolve/config-followers/named-conf.js')}').then((m) => console.log(m.followNamedConf('/', process.argv[1]).files.map((f) => f.path).join('\\n')))`;
  return run([process.execPath, '-e', code, values.config]).stdout.trim().split('\n').filter((p) => p && p !== values.config);
}

async function binaryCases() {
  const rows = [];
  const all = await resolvablePrograms(200);
  for (const n of [1, 10, 50, 100, 200]) {
    const programs = all.slice(0, n);
    const recipe = writeRecipe(`binaries-${n}`, JSON.stringify({ name: `bench-binaries-${n}`, binaries: programs, user: 'nobody', group: 'nogroup' }));
    const out = join(SCRATCH, `binaries-${n}`);
    const jail = join(SCRATCH, `jk-binaries-${n}`);
    const row = paired(
      `binaries ${n}`,
      { label: 'mkjail build', setup: fresh(out), time: () => mkjail(['build', recipe, '--out', out]) },
      { label: 'jk_cp', setup: fresh(jail), time: () => sh('mkdir -p "$1" && jk_cp -j "$@" >/dev/null', jail, ...programs) },
      Math.min(RUNS, 3),
    );
    row.binaries = n;
    row.planMs = round(row.a.phases.plan + (row.a.phases.hash ?? 0));
    row.planMsPerBinary = round(row.planMs / n);
    // What one more binary costs once the shared libraries are planned: the step from the row before.
    const before = rows.at(-1);
    if (before) row.marginalPlanMsPerBinary = round((row.planMs - before.planMs) / (n - before.binaries));
    rows.push(row);
  }
  return rows;
}

/** jk_cp grows faster than linearly with the files it is given (3000 took ~300 s in one trial, 1000 ~6 s). */
const JK_CP_MAX_FILES = 1000;

function hostFileCases() {
  const rows = [];
  const all = hostFiles(3000);
  for (const n of [1, 10, 100, 1000, 3000]) {
    const files = all.slice(0, n);
    const recipe = writeRecipe(`files-${n}`, JSON.stringify({ name: `bench-files-${n}`, files }));
    const out = join(SCRATCH, `files-${n}`);
    const jail = join(SCRATCH, `jk-files-${n}`);
    const row = paired(
      `host files ${n}`,
      { label: 'mkjail build', setup: fresh(out), time: () => mkjail(['build', recipe, '--out', out]) },
      n <= JK_CP_MAX_FILES
        ? { label: 'jk_cp', setup: fresh(jail), time: () => sh('mkdir -p "$1" && jk_cp -j "$@" >/dev/null', jail, ...files) }
        : { label: 'cp --parents (jk_cp takes minutes here)', setup: fresh(jail), time: () => sh('mkdir -p "$1" && cp --parents -- "${@:2}" "$1"', jail, ...files) },
      Math.min(RUNS, 3),
    );
    row.files = n;
    rows.push(row);
  }
  return rows;
}

/** Debian's base system users (base-passwd): present on every host, never added or removed by tests. */
const STABLE_USERS = ['daemon', 'bin', 'sys', 'sync', 'games', 'man', 'lp', 'mail', 'news', 'uucp', 'proxy', 'www-data', 'backup', 'list', 'irc', '_apt', 'nobody'];

/** N jails, one per base system user (cycling through them), from one recipe. */
function jailsCase(n) {
  const users = STABLE_USERS.map((name) => run(['getent', 'passwd', name], { stdio: ['ignore', 'pipe', 'ignore'] }, true)).filter((r) => r).map((r) => r.stdout.trim().split(':'));
  const recipe = writeRecipe('per-user', `{ vars: { user: 'nobody' }, recipe: (vars) => ({ name: 'per-user', binaries: ['/usr/bin/id'], user: vars.user, run: { argv: ['/usr/bin/id'] } }) }`);
  const groupOf = (gid) => run(['getent', 'group', gid]).stdout.split(':')[0];
  const jobs = [];
  let ini = '';
  for (let i = 0; i < n; i++) {
    const [user, , , gid] = users[i % users.length];
    jobs.push(`--out ${join(SCRATCH, 'jails', `j${i}`)} --set user=${user}`);
    ini += `[j${i}]\npaths = /usr/bin/id\nusers = ${user}\ngroups = ${groupOf(gid)}\ndevices = /dev/null\n`;
  }
  const jobsFile = join(SCRATCH, 'jobs.txt');
  writeFileSync(jobsFile, `${jobs.join('\n')}\n`);
  writeFileSync(join(SCRATCH, 'jk-jails.ini'), ini);
  const row = paired(
    `jails ${n}`,
    { label: `mkjail build --jobs (${n} jobs, one process)`, setup: fresh(join(SCRATCH, 'jails')), time: () => run([process.execPath, MKJAIL, 'build', recipe, '--jobs', jobsFile], { env: HASH_EVERYTHING }) },
    {
      label: `${n} x jk_init`,
      setup: fresh(join(SCRATCH, 'jk-jails')),
      time: () => sh(`for i in $(seq 0 $(($2 - 1))); do mkdir -p "$1/j$i" && jk_init -c "$3" -j "$1/j$i" "j$i" >/dev/null || exit 1; done`, join(SCRATCH, 'jk-jails'), String(n), join(SCRATCH, 'jk-jails.ini')),
    },
    Math.min(RUNS, 3),
  );
  row.jails = n;
  return row;
}

function depsCases() {
  const files = elfExecutables(['/usr/bin', '/usr/sbin'], { skipSetId: true });
  const a = { label: `mkjail deps --list (${files.length} files, one process)`, time: () => run([process.execPath, MKJAIL, 'deps', '--list', ...files], { stdio: ['ignore', 'ignore', 'pipe'] }) };
  const quiet = { stdio: ['ignore', 'ignore', 'pipe'] };
  return [
    // Both sides take well under a second: more runs, so that one slow run can't move the median.
    paired('deps vs scanelf -qn', a, { label: 'scanelf -qn', time: () => run(['scanelf', '-qn', ...files], quiet) }, RUNS * 3),
    paired('deps vs lddtree -l', a, { label: 'lddtree -l', time: () => run(['lddtree', '-l', ...files], quiet) }, Math.min(RUNS, 3)),
    paired('deps vs ldd', a, { label: 'ldd, one run per file', time: () => run(['sh', '-c', 'for f do ldd "$f"; done >/dev/null 2>&1; true', 'sh', ...files]) }, Math.min(RUNS, 3)),
  ];
}

// ---- main ------------------------------------------------------------------------------------------

const wanted = (name) => values.only === undefined || name.includes(values.only);
const results = { date: new Date().toISOString(), node: process.version, runs: RUNS, env: Object.keys(env), leftOut: LEFT_OUT, loadBefore: loadavg().map(round), cases: [] };
/** With --only, the cases measured replace theirs in the results file and the others are kept. */
const kept = values.only === undefined || !existsSync(RESULTS) ? [] : JSON.parse(readFileSync(RESULTS, 'utf8')).cases.filter((c) => !c.case.includes(values.only));
/** Written after every group of cases, so that a run cut short keeps what it measured. */
const save = () => writeFileSync(RESULTS, `${JSON.stringify({ ...results, cases: [...kept, ...results.cases], loadAfter: loadavg().map(round) }, null, 2)}\n`);
if (wanted('deps')) results.cases.push(...depsCases());
save();
if (asRoot) {
  mkdirSync(SCRATCH, { recursive: true, mode: 0o755 });
  chmodSync(SCRATCH, 0o755);
  mkdirSync(join(SCRATCH, 'recipes'), { mode: 0o755 });
  try {
    if (wanted('bind')) results.cases.push(...bindCases());
    save();
    if (wanted('binaries')) results.cases.push(...(await binaryCases()));
    save();
    if (wanted('files')) results.cases.push(...hostFileCases());
    save();
    if (wanted('jails')) results.cases.push(jailsCase(100));
  } finally {
    rmSync(SCRATCH, { recursive: true, force: true });
  }
} else {
  console.log('build cases skipped: they need root (they build jails); run `sudo npm run bench`');
}
results.loadAfter = loadavg().map(round);
save();
console.log(`\nwrote ${RESULTS} (load average before ${results.loadBefore.join(' ')}, after ${results.loadAfter.join(' ')})`);

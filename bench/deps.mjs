// Benchmark: the library closure of every ELF executable under /usr/bin and /usr/sbin, by
// `mkjail deps --list` (one process), against ldd (one run per binary), lddtree and scanelf -n.
// Wall-clock and CPU seconds (user + system, from GNU time when installed: steadier on a busy machine).
// Run after `npm run build`: node bench/deps.mjs
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLEAN_ENV } from './clean-env.mjs';
import { elfExecutables } from './elf-programs.mjs';

const MKJAIL = fileURLToPath(new URL('../bin/mkjail', import.meta.url));
const DIRS = ['/usr/bin', '/usr/sbin'];
const GNU_TIME = '/usr/bin/time';
/** The environment compare.mjs runs with (clean-env.mjs); lddtree, a python script, gets the system python. */
const env = CLEAN_ENV;

function installed(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { env }).status === 0;
}

/** Runs argv; wall seconds, and CPU seconds of it and its children when GNU time is there. */
function measure(argv) {
  const timed = existsSync(GNU_TIME);
  const started = process.hrtime.bigint();
  const result = spawnSync(timed ? GNU_TIME : argv[0], timed ? ['-f', '%U %S', ...argv] : argv.slice(1), {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 28,
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const last = String(result.stderr).trim().split('\n').pop() ?? '';
  const [user, system] = last.split(' ').map(Number);
  return { wall, cpu: timed && user !== undefined && system !== undefined ? user + system : undefined };
}

const files = elfExecutables(DIRS);
console.log(`${files.length} ELF executables under ${DIRS.join(' and ')}\n`);

const rows = [];
rows.push({ tool: 'mkjail deps --list (one process)', ...measure([process.execPath, MKJAIL, 'deps', '--list', ...files]) });
rows.push({ tool: '  of which CLI start-up (--version)', ...measure([process.execPath, MKJAIL, '--version']) });
const { resolveClosure } = await import('../dist/resolve/library-closure.js');
const cpuBefore = process.cpuUsage();
const wallBefore = process.hrtime.bigint();
resolveClosure(files);
const cpuUsed = process.cpuUsage(cpuBefore);
rows.push({ tool: '  resolveClosure, in process', wall: Number(process.hrtime.bigint() - wallBefore) / 1e9, cpu: (cpuUsed.user + cpuUsed.system) / 1e6 });

const competitors = [
  { tool: 'ldd, one run per binary', command: 'ldd', package: 'libc-bin', argv: ['sh', '-c', 'for f do ldd "$f"; done >/dev/null 2>&1', 'sh', ...files] },
  { tool: 'lddtree -l (one process)', command: 'lddtree', package: 'pax-utils', argv: ['lddtree', '-l', ...files] },
  { tool: 'scanelf -n (NEEDED only)', command: 'scanelf', package: 'pax-utils', argv: ['scanelf', '-n', ...files] },
];
for (const competitor of competitors) {
  if (!installed(competitor.command)) {
    console.log(`skipping ${competitor.tool}: ${competitor.command} is not installed (Debian package ${competitor.package})`);
    continue;
  }
  rows.push({ tool: competitor.tool, ...measure(competitor.argv) });
}

const mkjail = rows[0];
const cell = (value) => (value === undefined ? '-' : value.toFixed(3)).padStart(8);
console.log(`${'tool'.padEnd(36)} ${'wall s'.padStart(8)} ${'cpu s'.padStart(8)}`);
for (const row of rows) console.log(`${row.tool.padEnd(36)} ${cell(row.wall)} ${cell(row.cpu)}`);
console.log('');
for (const row of rows.slice(3)) {
  const ratio = (a, b) => (a === undefined || b === undefined || a === 0 || b === 0 ? '-' : a >= b ? `${(a / b).toFixed(1)}x faster` : `${(b / a).toFixed(1)}x slower`);
  console.log(`mkjail vs ${row.tool}: ${ratio(row.wall, mkjail.wall)} (wall), ${ratio(row.cpu, mkjail.cpu)} (cpu)`);
}

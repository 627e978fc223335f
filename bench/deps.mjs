// Benchmark: the library closure of every ELF executable under /usr/bin and /usr/sbin, by
// `mkjail deps --list` (one process), against ldd (one run per binary), lddtree and scanelf -n.
// Run after `npm run build`: node bench/deps.mjs
import { spawnSync } from 'node:child_process';
import { closeSync, lstatSync, openSync, readSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MKJAIL = fileURLToPath(new URL('../bin/mkjail', import.meta.url));
const DIRS = ['/usr/bin', '/usr/sbin'];
/** lddtree is a python script: make sure the system python (with pyelftools) comes first. */
const SYSTEM_PATH = `/usr/bin:/bin:/usr/sbin:/sbin:${process.env.PATH ?? ''}`;

function elfExecutables() {
  const files = [];
  for (const dir of DIRS) {
    for (const name of readdirSync(dir).sort()) {
      const path = `${dir}/${name}`;
      const stats = lstatSync(path);
      if (stats.isFile() && (stats.mode & 0o111) !== 0 && isElf(path)) files.push(path);
    }
  }
  return files;
}

function isElf(path) {
  const head = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32BE(0) === 0x7f454c46;
  } finally {
    closeSync(fd);
  }
}

function installed(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { env: { ...process.env, PATH: SYSTEM_PATH } }).status === 0;
}

/** Wall-clock seconds of `run()`. */
function time(run) {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const env = { ...process.env, PATH: SYSTEM_PATH };
const options = { env, stdio: ['ignore', 'ignore', 'ignore'], maxBuffer: 1 << 28 };
const files = elfExecutables();
console.log(`${files.length} ELF executables under ${DIRS.join(' and ')}\n`);

const rows = [];
rows.push({ tool: 'mkjail deps --list (one process)', seconds: time(() => spawnSync(process.execPath, [MKJAIL, 'deps', '--list', ...files], options)) });
const { resolveClosure } = await import('../dist/resolve/library-closure.js');
rows.push({ tool: 'resolveClosure, in process', seconds: time(() => resolveClosure(files)) });
const competitors = [
  { tool: 'ldd, one run per binary', command: 'ldd', run: () => files.forEach((f) => spawnSync('ldd', [f], options)) },
  { tool: 'lddtree -l (one process)', command: 'lddtree', run: () => spawnSync('lddtree', ['-l', ...files], options) },
  { tool: 'scanelf -n (NEEDED only)', command: 'scanelf', run: () => spawnSync('scanelf', ['-n', ...files], options) },
];
for (const competitor of competitors) {
  if (!installed(competitor.command)) {
    console.log(`skipping ${competitor.tool}: ${competitor.command} is not installed (Debian: ${competitor.command === 'ldd' ? 'libc-bin' : 'pax-utils'})`);
    continue;
  }
  rows.push({ tool: competitor.tool, seconds: time(competitor.run) });
}

const mkjail = rows[0].seconds;
console.log(`${'tool'.padEnd(36)} ${'seconds'.padStart(8)}  ${'vs mkjail'.padStart(10)}`);
for (const row of rows) console.log(`${row.tool.padEnd(36)} ${row.seconds.toFixed(3).padStart(8)}  ${(row.seconds / mkjail).toFixed(1).padStart(9)}x`);
console.log('');
for (const row of rows.slice(2)) {
  const ratio = row.seconds / mkjail;
  console.log(ratio >= 1 ? `mkjail is ${ratio.toFixed(1)}x faster than ${row.tool}` : `mkjail takes ${(1 / ratio).toFixed(1)}x the time of ${row.tool}`);
}

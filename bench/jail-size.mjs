#!/usr/bin/env node
// Jail size and build time of BIND's named: mkjail's bind recipe in self and wrapper mode against a
// jailkit jail for the same named (jk_cp of the binary and its ldd libraries, jk_init for localtime, the
// bind account, /dev/null and the two state directories, jk_cp of the config), and against plain `cp`
// of the very files of the wrapper jail (the floor: copying bytes, no resolving, no owners, no checks),
// plus mkjail's rebuild with nothing changed. Run as root after `npm run build`:
//   sudo node bench/jail-size.mjs [--config /etc/bind/named.conf]
// Every jail is measured the same way: entries = everything under the jail root, itself included
// (find), bytes = du -sb. mkjail's own report ("N entries, B bytes") is printed beside it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const MKJAIL = join(REPO, 'bin/mkjail');
const { values } = parseArgs({ options: { config: { type: 'string', default: '/etc/bind/named.conf' } } });

if (process.getuid?.() !== 0) {
  console.error('bench/jail-size.mjs: needs root (it builds jails); run: sudo node bench/jail-size.mjs');
  process.exit(3);
}

const scratch = mkdtempSync(join(tmpdir(), 'mkjail-bench-size-'));
try {
  const rows = [];
  for (const mode of ['self', 'wrapper']) rows.push(buildMkjail(mode));
  rows.push(rebuildMkjail('wrapper'));
  rows.push(buildJailkit());
  rows.push(copyPlain(join(scratch, 'mkjail-wrapper')));
  print(rows);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

function buildMkjail(mode) {
  const out = join(scratch, `mkjail-${mode}`);
  const started = process.hrtime.bigint();
  const report = execFileSync(process.execPath, [MKJAIL, 'build', join(REPO, 'recipes/bind.ts'), '--out', out, '--set', `mode=${mode}`, '--set', `config=${values.config}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const reported = /\((\d+) entries, (\d+) bytes\)/.exec(report);
  return { name: `mkjail ${mode}`, ...measure(join(out, 'root')), reported: reported ? `${reported[1]} entries, ${reported[2]} bytes` : report.trim(), seconds };
}

/** The same build again: nothing changed, so mkjail compares and writes nothing. */
function rebuildMkjail(mode) {
  const row = buildMkjail(mode);
  return { ...row, name: `mkjail ${mode}, again` };
}

/** `cp --parents` of every host file the wrapper jail holds, with the symlinks they are reached through. */
function copyPlain(mkjailOut) {
  const manifest = JSON.parse(readFileSync(join(mkjailOut, 'manifest.json'), 'utf8'));
  const sources = manifest.entries.filter((e) => e.type === 'file' && e.source).map((e) => e.source);
  const target = join(scratch, 'plain-cp');
  mkdirSync(target);
  const started = process.hrtime.bigint();
  execFileSync('cp', ['--parents', '-L', '--', ...sources, target]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { name: 'plain cp', ...measure(target), reported: `${sources.length} files copied`, seconds };
}

/** jailkit refuses a jail below a group/other-writable directory (/tmp): build it on a private tmpfs. */
function buildJailkit() {
  const ini = join(scratch, 'jk_init-named.ini');
  writeFileSync(ini, `[named-extras]\npaths = /etc/localtime\nusers = bind\ngroups = bind\ndevices = /dev/null\nemptydirs = /var/cache/bind, /run/named\n`);
  const config = [values.config, ...followedFiles()].join(' ');
  const script = `set -e
mount -t tmpfs -o mode=0755 mkjail-bench /mnt
mkdir -m 0755 /mnt/jail
start=$(date +%s.%N)
jk_cp -j /mnt/jail /usr/sbin/named >/dev/null
jk_init -c ${ini} -j /mnt/jail named-extras >/dev/null
jk_cp -j /mnt/jail ${config} >/dev/null
end=$(date +%s.%N)
echo "$(find /mnt/jail | wc -l) $(du -sb /mnt/jail | cut -f1) $(echo "$end - $start" | bc)"`;
  const [entries, bytes, seconds] = execFileSync('unshare', ['-m', '--propagation', 'private', 'bash', '-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split(' ');
  return { name: 'jailkit', entries: Number(entries), bytes: Number(bytes), reported: '-', seconds: Number(seconds) };
}

/** The files the config names, as mkjail's follower finds them (so both jails hold the same config). */
function followedFiles() {
  const code = `import('${join(REPO, 'dist/resolve/config-followers/named-conf.js')}').then((m) => console.log(m.followNamedConf('/', process.argv[1]).files.map((f) => f.path).join('\\n')))`;
  return execFileSync(process.execPath, ['-e', code, values.config], { encoding: 'utf8' }).trim().split('\n').filter((p) => p !== values.config);
}

function measure(root) {
  const entries = Number(execFileSync('bash', ['-c', `find "$1" | wc -l`, 'measure', root], { encoding: 'utf8' }).trim());
  const bytes = Number(execFileSync('du', ['-sb', root], { encoding: 'utf8' }).split('\t')[0]);
  return { entries, bytes };
}

function print(rows) {
  const jailkit = rows.find((r) => r.name === 'jailkit');
  const line2 = (cells) => cells.map((c, i) => String(c).padEnd([22, 9, 13, 28, 20, 8][i] ?? 10)).join(' ').trimEnd();
  console.log(line2(['jail', 'entries', 'bytes', 'mkjail reports', 'vs jailkit (e / b)', 'build s', 'time vs jailkit']));
  for (const r of rows) {
    const ratio = `${(r.entries / jailkit.entries).toFixed(2)} / ${(r.bytes / jailkit.bytes).toFixed(4)}`;
    console.log(line2([r.name, r.entries, r.bytes, r.reported, ratio, r.seconds.toFixed(2), `${(r.seconds / jailkit.seconds).toFixed(2)}x`]));
  }
}

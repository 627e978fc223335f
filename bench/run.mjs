#!/usr/bin/env node
// `npm run bench`: every benchmark in one run, side by side with the tools mkjail replaces: the cases
// of compare.mjs (builds against jailkit, deps against ldd, lddtree and scanelf; the builds need root)
// with their ratios in bench/results.json, then the jail sizes (root only). Build first: `npm run build`.
// Arguments go to compare.mjs (--runs N, --only SUBSTRING). bench/deps.mjs adds CPU seconds for deps.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const run = (name, args = []) => execFileSync(process.execPath, [here(name), ...args], { stdio: 'inherit' });

console.log('== side by side, paired runs, ratios into bench/results.json (bench/compare.mjs)');
run('compare.mjs', process.argv.slice(2));
console.log('\n== BIND jails: sizes against jailkit and plain cp (bench/jail-size.mjs)');
if (process.getuid?.() === 0) run('jail-size.mjs');
else console.log('skipped: needs root (it builds jails); run `sudo npm run bench`');

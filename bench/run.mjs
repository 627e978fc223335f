#!/usr/bin/env node
// `npm run bench`: every benchmark in one run, side by side with the tools mkjail replaces. The
// resolver against ldd, lddtree and scanelf (any user); jail size and build time against jailkit and
// plain cp (root only: it builds jails). Build first: `npm run build`.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const run = (name) => execFileSync(process.execPath, [here(name), ...process.argv.slice(2)], { stdio: 'inherit' });

console.log('== the resolver: mkjail deps against ldd, lddtree and scanelf (bench/deps.mjs)');
run('deps.mjs');
console.log('\n== BIND jails: mkjail against jailkit and plain cp (bench/jail-size.mjs)');
if (process.getuid?.() === 0) run('jail-size.mjs');
else console.log('skipped: needs root (it builds jails); run `sudo npm run bench`');

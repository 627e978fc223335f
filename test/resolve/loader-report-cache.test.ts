// The host loader's `--help` answer kept across runs (loader-report-cache.ts): used only while the loader
// file, the boot and the CPU flags are the same and only root could have written it; asked again
// otherwise; never written by a run that may not write (--check) or that is not root. Checked with the
// real loader, and with strace that a run which finds the answer kept starts no loader.
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execaSync } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { hostLoaderReport, parseLoaderHelp } from '../../src/resolve/hwcaps.js';
import { LOADER_CACHE_DIR, keepLoaderHelp, keptLoaderHelp, loaderReportKey, stopUsingLoaderReportCache, useLoaderReportCache } from '../../src/resolve/loader-report-cache.js';
import { MKJAIL_BIN, mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';

const LD_SO = '/lib64/ld-linux-x86-64.so.2';
const ok = prerequisites({ root: true, commands: [LD_SO, 'strace'], packages: 'libc6 strace' });
const CPUINFO = ok ? readFileSync('/proc/cpuinfo', 'latin1') : '';
const KEPT_FILE = join(LOADER_CACHE_DIR, 'lib64_ld-linux-x86-64.so.2.json');

describe.skipIf(!ok)('the kept answer of the host loader', () => {
  const scratch = ok ? mkdtempSync(join(tmpdir(), 'mkjail-loader-cache-')) : '';
  const dir = join(scratch, 'cache');
  const keptFile = join(dir, 'lib64_ld-linux-x86-64.so.2.json');
  const help = ok ? String(execaSync(LD_SO, ['--help']).stdout) : '';

  afterEach(() => {
    stopUsingLoaderReportCache();
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('asks the loader once, then answers from the kept file with the same report', () => {
    useLoaderReportCache(true, dir);
    const asked = hostLoaderReport(CPUINFO);
    expect(asked).toEqual(parseLoaderHelp(help));
    const written = statSync(keptFile);
    expect({ mode: written.mode & 0o777, uid: written.uid, dir: statSync(dir).mode & 0o777 }).toEqual({ mode: 0o600, uid: 0, dir: 0o700 });
    // A run that asks the loader rewrites the file (a new inode): the same inode means it was not asked.
    expect(hostLoaderReport(CPUINFO)).toEqual(asked);
    expect(statSync(keptFile).ino).toBe(written.ino);
  });

  it('asks again when the kept text is not a loader answer, and keeps the new one', () => {
    useLoaderReportCache(true, dir);
    hostLoaderReport(CPUINFO);
    const kept = JSON.parse(readFileSync(keptFile, 'utf8')) as { help: string };
    writeFileSync(keptFile, JSON.stringify({ ...kept, help: 'not the loader' }), { mode: 0o600 });
    expect(hostLoaderReport(CPUINFO)).toEqual(parseLoaderHelp(help));
    // execa strips the final newline the kept text has.
    expect((JSON.parse(readFileSync(keptFile, 'utf8')) as { help: string }).help).toBe(`${help}\n`);
  });

  it('keys the answer by the loader file, the boot and the CPU flags', () => {
    const copy = join(scratch, 'ld.so');
    copyFileSync(LD_SO, copy);
    const before = loaderReportKey(copy, CPUINFO);
    utimesSync(copy, new Date(0), new Date(0));
    const touched = loaderReportKey(copy, CPUINFO);
    const otherFlags = loaderReportKey(copy, CPUINFO.replace(/^flags\s*:/m, '$& avx512f'));
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    expect(new Set([before, touched, otherFlags]).size).toBe(3);
    expect(touched).toContain(bootId);
    expect(loaderReportKey(join(scratch, 'no-such-loader'), CPUINFO)).toBeUndefined();
  });

  it('uses an answer kept for the same key only, and only when only root could have written it', () => {
    useLoaderReportCache(true, dir);
    const key = loaderReportKey(LD_SO, CPUINFO) as string;
    keepLoaderHelp(LD_SO, key, help);
    expect(keptLoaderHelp(LD_SO, key)).toBe(help);
    expect(keptLoaderHelp(LD_SO, `${key}x`)).toBeUndefined();
    chmodSync(keptFile, 0o620);
    expect(keptLoaderHelp(LD_SO, key)).toBeUndefined();
    chmodSync(keptFile, 0o600);
    chownSync(keptFile, 65534, 65534);
    expect(keptLoaderHelp(LD_SO, key)).toBeUndefined();
    chownSync(keptFile, 0, 0);
    chmodSync(dir, 0o777);
    useLoaderReportCache(true, dir);
    expect(keptLoaderHelp(LD_SO, key)).toBeUndefined();
  });

  it('writes nothing, not even its directory, for a run that may not write (--check)', () => {
    useLoaderReportCache(false, dir);
    expect(hostLoaderReport(CPUINFO)).toEqual(parseLoaderHelp(help));
    expect(existsSync(dir)).toBe(false);
  });

  it('mkjail deps starts no loader when the answer is kept, and prints the same closure', async () => {
    const first = await mkjail(['deps', '--list', '/usr/bin/ls']);
    expect(first.exitCode).toBe(0);
    expect(existsSync(KEPT_FILE)).toBe(true);
    const trace = join(scratch, 'execve.txt');
    const { stdout } = execaSync('strace', ['-f', '-qq', '-e', 'trace=execve', '-o', trace, process.execPath, MKJAIL_BIN, 'deps', '--list', '/usr/bin/ls']);
    expect(stdout).toBe(first.stdout);
    const started = readFileSync(trace, 'utf8').split('\n').filter((line) => line.includes('execve('));
    expect(started).toHaveLength(1);
    expect(started[0]).toContain(process.execPath);
  });
});

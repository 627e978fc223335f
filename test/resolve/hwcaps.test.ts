// The CPU-dependent search subdirectories, computed from /proc/cpuinfo, against what this machine's
// loaders say (ld.so --help) and do (LD_DEBUG=libs search paths), for 64- and 32-bit programs.
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { glibcHwcapsSubdirs, hostCpuFacts, legacySubdirs, parseCpuinfo, parseLoaderHelp, supportedIsaLevels, x86LegacyHwcaps, x86Platform } from '../../src/resolve/hwcaps.js';
import { loaderAbiFor } from '../../src/resolve/loader-abi.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, runCommand, scratchDir } from './helpers/build-elf.js';

const LD_SO = '/lib64/ld-linux-x86-64.so.2';
const ok = prerequisites({ commands: ['gcc', LD_SO, 'qemu-i386'], packages: 'gcc gcc-multilib libc6 qemu-user' });

/** The subdirectories the loader tries under a RUNPATH directory that does not exist ("" = the directory). */
function searchedSubdirs(program: string, dir: string): string[] {
  const [command, ...args] = runCommand(program);
  const { stderr } = execaSync(command as string, args, { reject: false, env: { LD_DEBUG: 'libs' } });
  const line = String(stderr).split('\n').find((l) => l.includes('search path=') && l.includes('RUNPATH')) ?? '';
  const paths = (/search path=(\S+)/.exec(line)?.[1] ?? '').split(':');
  return paths.map((path) => path.slice(dir.length).replace(/^\//, ''));
}

describe.skipIf(!ok)('glibc-hwcaps and legacy subdirectories', () => {
  let dir = '';
  let cleanup = () => {};

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('hwcaps'));
    gcc(dir, ['-o', 'prog', 'plain.c', `-Wl,-rpath,${dir}/none`, '-Wl,--no-as-needed', '-lm']);
    gcc(dir, ['-m32', '-o', 'prog32', 'plain.c', `-Wl,-rpath,${dir}/none`, '-Wl,--no-as-needed', '-lm']);
  });

  afterAll(() => cleanup());

  it('lists the glibc-hwcaps subdirectories that ld.so --help marks "supported, searched"', () => {
    const help = String(execaSync(LD_SO, ['--help']).stdout);
    const section = help.slice(help.indexOf('Subdirectories of glibc-hwcaps'), help.indexOf('Legacy HWCAP'));
    const supported = [...section.matchAll(/^ {2}(\S+) \(supported, searched\)$/gm)].map((m) => m[1]);
    expect(glibcHwcapsSubdirs(hostCpuFacts())).toEqual(supported);
  });

  it('searches the same subdirectories, in the same order, as the 64-bit loader', () => {
    const abi = loaderAbiFor({ elfClass: 64, littleEndian: true, machine: 62 }, hostCpuFacts(), false);
    expect(abi.subdirs).toEqual(searchedSubdirs(`${dir}/prog`, `${dir}/none`));
  });

  it('searches the same subdirectories, in the same order, as the 32-bit loader', () => {
    const abi = loaderAbiFor({ elfClass: 32, littleEndian: true, machine: 3 }, hostCpuFacts(), true);
    expect(abi.subdirs).toEqual(searchedSubdirs(`${dir}/prog32`, `${dir}/none`));
  });

  it('derives levels, platform and legacy names from cpuinfo flags as glibc does', () => {
    const intel = parseCpuinfo('vendor_id\t: GenuineIntel\nflags\t\t: sse2 cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3 avx avx2 bmi1 bmi2 f16c fma abm movbe xsave\n');
    const amd = parseCpuinfo('vendor_id\t: AuthenticAMD\nflags\t\t: sse2 cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3\n');
    expect({
      levels: [supportedIsaLevels(intel), supportedIsaLevels(amd), supportedIsaLevels(parseCpuinfo(''))],
      platforms: [x86Platform(intel, true), x86Platform(amd, true), x86Platform(amd, false)],
      legacy: legacySubdirs('haswell', ['x86_64']),
    }).toEqual({
      levels: [[2, 3], [2], []],
      platforms: ['haswell', 'x86_64', 'i686'],
      legacy: ['tls/haswell/x86_64', 'tls/haswell', 'tls/x86_64', 'tls', 'haswell/x86_64', 'haswell', 'x86_64', ''],
    });
  });

  it('takes levels, platform and legacy names from the loader\'s report over the kernel\'s flags', () => {
    const help = String(execaSync(LD_SO, ['--help']).stdout);
    const report = parseLoaderHelp(help);
    const noFlags = { ...parseCpuinfo('vendor_id\t: AuthenticAMD\nflags\t\t: sse2\n'), loader: report };
    const platform = /^ {2}(\S+) \(AT_PLATFORM; supported, searched\)$/m.exec(help)?.[1];
    expect({ levels: supportedIsaLevels(noFlags), platform: x86Platform(noFlags, true), legacy: x86LegacyHwcaps(noFlags, true) }).toEqual({
      levels: supportedIsaLevels(hostCpuFacts()),
      platform,
      legacy: x86LegacyHwcaps(hostCpuFacts(), true),
    });
    expect(x86LegacyHwcaps(noFlags, true)).toContain('x86_64');
    expect(parseLoaderHelp('ld.so (GNU libc) 2.31 --help without hwcaps sections')).toBeUndefined();
  });
});

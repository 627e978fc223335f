// The CPU-dependent subdirectories glibc's loader (2.36, x86) searches, computed from /proc/cpuinfo
// flags the way sysdeps/x86 computes them: glibc-hwcaps x86-64-vN levels, legacy hwcap strings, platform.
// /proc/cpuinfo is the kernel's view, and a hypervisor can make it differ from the CPUID the loader
// reads in user space (an AMD guest whose kernel hides LZCNT, say); where the host's own 64-bit loader
// is there, what its --help reports (it loads nothing) overrides the flags for 64-bit programs; that
// answer is kept across runs by loader-report-cache.ts.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { keepLoaderHelp, keptLoaderHelp, loaderReportKey } from './loader-report-cache.js';

export interface CpuFacts {
  /** The vendor_id is GenuineIntel (glibc sets "haswell"/"avx512_1" only for Intel). */
  intel: boolean;
  flags: ReadonlySet<string>;
  /** What the host's 64-bit loader says it supports, when it could be asked. */
  loader?: LoaderReport;
}

/** The CPU-dependent part of `ld.so --help`. */
export interface LoaderReport {
  isaLevels: number[];
  platform: string;
  legacyHwcaps: string[];
}

const HOST_LOADER_64 = '/lib64/ld-linux-x86-64.so.2';
const LEGACY_HWCAPS_64 = ['x86_64', 'avx512_1'];

/** x86-64 micro-architecture levels (glibc sysdeps/x86/get-isa-level.h), with their /proc/cpuinfo flags. */
const ISA_LEVEL_FLAGS: ReadonlyArray<readonly [level: number, flags: readonly string[]]> = [
  [2, ['cx16', 'lahf_lm', 'popcnt', 'pni', 'sse4_1', 'sse4_2', 'ssse3']],
  [3, ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave']],
  [4, ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl']],
];

const HASWELL_FLAGS = ['avx2', 'fma', 'bmi1', 'bmi2', 'abm', 'movbe', 'popcnt'];
const AVX512_1_FLAGS = ['avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'];

/** The facts of the first processor in a /proc/cpuinfo text. */
export function parseCpuinfo(text: string): CpuFacts {
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(text)?.[1];
  const flags = /^flags\s*:(.*)$/m.exec(text)?.[1] ?? '';
  return { intel: vendor === 'GenuineIntel', flags: new Set(flags.trim().split(/\s+/).filter(Boolean)) };
}

let hostCpu: CpuFacts | undefined;

/** This machine's CPU (read once). An unreadable /proc/cpuinfo means only the baseline level. */
export function hostCpuFacts(): CpuFacts {
  if (!hostCpu) {
    let text = '';
    try {
      text = readFileSync('/proc/cpuinfo', 'latin1');
    } catch {
      text = '';
    }
    hostCpu = { ...parseCpuinfo(text), loader: hostLoaderReport(text) };
  }
  return hostCpu;
}

/**
 * The host's 64-bit x86 loader's own report (kept from an earlier run, or asked), or undefined when there
 * is none to ask; `cpuinfo` is /proc/cpuinfo's text. Not memoised: hostCpuFacts asks once a process.
 */
export function hostLoaderReport(cpuinfo: string): LoaderReport | undefined {
  if (process.arch !== 'x64' || !existsSync(HOST_LOADER_64)) return undefined;
  const key = loaderReportKey(HOST_LOADER_64, cpuinfo);
  const kept = key === undefined ? undefined : keptLoaderHelp(HOST_LOADER_64, key);
  const keptReport = kept === undefined ? undefined : parseLoaderHelp(kept);
  if (keptReport) return keptReport;
  // node:child_process, not execa, and only when asking: `mkjail deps` loads nothing it does not use.
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const { stdout, status } = spawnSync(HOST_LOADER_64, ['--help'], { timeout: 10_000, env: {}, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const help = status === 0 ? String(stdout) : '';
  const report = parseLoaderHelp(help);
  if (report && key !== undefined) keepLoaderHelp(HOST_LOADER_64, key, help);
  return report;
}

/** The supported glibc-hwcaps levels, the platform and legacy hwcaps from `ld.so --help` (glibc 2.33+). */
export function parseLoaderHelp(help: string): LoaderReport | undefined {
  const hwcapsAt = help.indexOf('Subdirectories of glibc-hwcaps');
  const legacyAt = help.indexOf('Legacy HWCAP subdirectories');
  if (hwcapsAt < 0 || legacyAt < 0) return undefined;
  const supported = (section: string) => [...section.matchAll(/^ {2}(\S+) \((AT_PLATFORM; )?supported, searched\)$/gm)];
  const levels = supported(help.slice(hwcapsAt, legacyAt)).map((m) => Number(/^x86-64-v(\d)$/.exec(m[1] as string)?.[1]));
  const legacy = supported(help.slice(legacyAt));
  const platform = legacy.find((m) => m[2])?.[1];
  if (platform === undefined || levels.some(Number.isNaN)) return undefined;
  const named = new Set(legacy.filter((m) => !m[2]).map((m) => m[1]));
  return { isaLevels: levels.sort(), platform, legacyHwcaps: LEGACY_HWCAPS_64.filter((name) => named.has(name)) };
}

/** The x86-64 ISA levels (2, 3, 4) the CPU supports; each needs every lower level too. */
export function supportedIsaLevels(cpu: CpuFacts): number[] {
  if (cpu.loader) return [...cpu.loader.isaLevels];
  const levels: number[] = [];
  for (const [level, flags] of ISA_LEVEL_FLAGS) {
    if (!flags.every((flag) => cpu.flags.has(flag))) break;
    levels.push(level);
  }
  return levels;
}

/** glibc-hwcaps subdirectory names, most preferred first, as `ld.so --help` lists them "supported". */
export function glibcHwcapsSubdirs(cpu: CpuFacts): string[] {
  return supportedIsaLevels(cpu)
    .reverse()
    .map((level) => `x86-64-v${level}`);
}

/** The loader's AT_PLATFORM-derived platform string for x86 (glibc init_cpu_features). */
export function x86Platform(cpu: CpuFacts, is64: boolean): string {
  if (!is64) return 'i686';
  if (cpu.loader) return cpu.loader.platform;
  const haswell = cpu.intel && HASWELL_FLAGS.every((flag) => cpu.flags.has(flag));
  const xeonPhi = cpu.intel && ['avx512cd', 'avx512er', 'avx512pf'].every((flag) => cpu.flags.has(flag));
  return xeonPhi ? 'xeon_phi' : haswell ? 'haswell' : 'x86_64';
}

/** Legacy hwcap names the loader uses (masked by HWCAP_IMPORTANT), in ascending bit order. */
export function x86LegacyHwcaps(cpu: CpuFacts, is64: boolean): string[] {
  if (!is64) return cpu.flags.has('sse2') ? ['sse2'] : [];
  if (cpu.loader) return [...cpu.loader.legacyHwcaps];
  const avx512 = cpu.intel && !cpu.flags.has('avx512er') && AVX512_1_FLAGS.every((flag) => cpu.flags.has(flag));
  return avx512 ? ['x86_64', 'avx512_1'] : ['x86_64'];
}

/**
 * The legacy subdirectories under each search directory, most specific first, ending with "" (the
 * directory itself): every combination of tls, the platform and the hwcap names (glibc 2.36
 * _dl_important_hwcaps), e.g. tls/x86_64/x86_64, tls/x86_64, tls/x86_64, tls, x86_64/x86_64, ... "".
 */
export function legacySubdirs(platform: string | undefined, hwcaps: readonly string[]): string[] {
  const components = ['tls', ...(platform ? [platform] : []), ...[...hwcaps].reverse()];
  const count = components.length;
  const result: string[] = [];
  for (let mask = (1 << count) - 1; mask >= 0; mask--) {
    const picked = components.filter((_, i) => (mask & (1 << (count - 1 - i))) !== 0);
    result.push(picked.join('/'));
  }
  return result;
}

// What a Debian glibc loader of one architecture compiles in: which ld.so.cache entries it accepts
// (_dl_cache_check_flags), its default directories, $LIB, $PLATFORM and the hwcaps subdirectories.
import { elfAbiKey, type ElfInfo } from '../elf/read-elf.js';
import { type CpuFacts, glibcHwcapsSubdirs, legacySubdirs, supportedIsaLevels, x86LegacyHwcaps, x86Platform } from './hwcaps.js';

const EM_386 = 3;
const EM_ARM = 40;
const EM_X86_64 = 62;
const EM_PPC64 = 21;
const EM_S390 = 22;
const EM_AARCH64 = 183;
const EM_RISCV = 243;

const FLAG_ELF = 1;
const FLAG_ELF_LIBC6 = 3;

/** Bits 48..51 of a legacy cache hwcap: the platforms i586, i686, haswell, xeon_phi. */
const X86_PLATFORMS = ['i586', 'i686', 'haswell', 'xeon_phi'] as const;
const PLATFORM_BITS = 0xfn << 48n;
const TLS_BIT = 1n << 63n;
const X86_HWCAP_BITS: Record<string, bigint> = { sse2: 1n, x86_64: 2n, avx512_1: 4n };

export interface LoaderAbi {
  /** Class, byte order and machine every object of the process must have. */
  key: string;
  /** The cache `flags` values this loader accepts. */
  cacheFlags: readonly number[];
  /** Compiled-in default directories, in search order. */
  defaultDirs: readonly string[];
  /** The expansion of $LIB. */
  lib: string;
  /** The expansion of $PLATFORM. */
  platform: string;
  /** Subdirectories tried under every search directory, in order, ending with "" (the directory). */
  subdirs: readonly string[];
  /** glibc-hwcaps names, most preferred first (cache entries of other names are ignored). */
  hwcapsNames: readonly string[];
  /** x86 ISA levels the CPU supports, for glibc-hwcaps cache entries. */
  isaLevels: readonly number[];
  /** Legacy cache hwcap bits the loader accepts (tls, masked hwcaps, platform). */
  legacyAllowed: bigint;
  /** The platform bit of this loader in a legacy cache entry, or 0n. */
  platformBit: bigint;
}

interface Arch {
  cacheFlags: number[];
  triplet: string;
  platform: string;
}

/**
 * The loader for objects like `main` (the executable, or a library given alone). `biarch`: the 32-bit
 * loader is Debian's biarch one (libc6-i386, libc6-x32), which searches lib32 or libx32 directories.
 */
export function loaderAbiFor(main: Pick<ElfInfo, 'elfClass' | 'littleEndian' | 'machine'>, cpu: CpuFacts, biarch: boolean): LoaderAbi {
  const key = elfAbiKey(main);
  const is64 = main.elfClass === 64;
  if (main.machine === EM_X86_64 || main.machine === EM_386) return x86Abi(key, main.machine === EM_X86_64, is64, cpu, biarch);
  const arch = otherArch(main.machine, is64, main.littleEndian);
  return {
    key,
    cacheFlags: arch.cacheFlags,
    defaultDirs: [`/lib/${arch.triplet}`, `/usr/lib/${arch.triplet}`, '/lib', '/usr/lib'],
    lib: `lib/${arch.triplet}`,
    platform: arch.platform,
    subdirs: legacySubdirs(undefined, []),
    hwcapsNames: [],
    isaLevels: [],
    legacyAllowed: TLS_BIT,
    platformBit: 0n,
  };
}

function x86Abi(key: string, x86_64: boolean, is64: boolean, cpu: CpuFacts, biarch: boolean): LoaderAbi {
  const x32 = x86_64 && !is64;
  const triplet = x32 ? 'x86_64-linux-gnux32' : x86_64 ? 'x86_64-linux-gnu' : 'i386-linux-gnu';
  const libDir = biarch && !is64 ? (x32 ? 'libx32' : 'lib32') : `lib/${triplet}`;
  const platform = x86Platform(cpu, x86_64);
  const hwcaps = x86LegacyHwcaps(cpu, x86_64);
  const hwcapsNames = x86_64 ? glibcHwcapsSubdirs(cpu) : [];
  const platformIndex = X86_PLATFORMS.indexOf(platform as (typeof X86_PLATFORMS)[number]);
  const legacyAllowed = hwcaps.reduce((bits, name) => bits | (X86_HWCAP_BITS[name] ?? 0n), TLS_BIT | PLATFORM_BITS);
  return {
    key,
    cacheFlags: x32 ? [0x0803] : x86_64 ? [0x0303] : [FLAG_ELF, FLAG_ELF_LIBC6],
    defaultDirs: [`/${libDir}`, `/usr/${libDir}`, '/lib', '/usr/lib'],
    lib: libDir,
    platform,
    subdirs: [...hwcapsNames.map((name) => `glibc-hwcaps/${name}`), ...legacySubdirs(platform, hwcaps)],
    hwcapsNames,
    isaLevels: x86_64 ? supportedIsaLevels(cpu) : [],
    legacyAllowed,
    platformBit: platformIndex < 0 ? 0n : 1n << BigInt(48 + platformIndex),
  };
}

function otherArch(machine: number, is64: boolean, little: boolean): Arch {
  switch (machine) {
    case EM_AARCH64:
      return { cacheFlags: [0x0a03], triplet: 'aarch64-linux-gnu', platform: 'aarch64' };
    case EM_ARM:
      return { cacheFlags: [0x0903], triplet: 'arm-linux-gnueabihf', platform: 'v7l' };
    case EM_PPC64:
      return { cacheFlags: [0x0503], triplet: little ? 'powerpc64le-linux-gnu' : 'powerpc64-linux-gnu', platform: 'power8' };
    case EM_S390:
      return { cacheFlags: is64 ? [0x0403] : [FLAG_ELF, FLAG_ELF_LIBC6], triplet: 's390x-linux-gnu', platform: 'z13' };
    case EM_RISCV:
      return { cacheFlags: [0x1003], triplet: 'riscv64-linux-gnu', platform: 'riscv64' };
    default:
      return { cacheFlags: [FLAG_ELF, FLAG_ELF_LIBC6], triplet: 'unknown-linux-gnu', platform: 'unknown' };
  }
}

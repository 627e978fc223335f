// The ld.so.cache parser against `ldconfig -p` (the system cache, and caches written by ldconfig -r
// with glibc-hwcaps entries), the old format's header, and the caches the loader would reject.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LdSoCache, parseLdSoCache } from '../../src/elf/ld-so-cache.js';
import { pickEntry } from '../../src/resolve/cache-lookup.js';
import { parseCpuinfo } from '../../src/resolve/hwcaps.js';
import { resolveClosure } from '../../src/resolve/library-closure.js';
import { loaderAbiFor } from '../../src/resolve/loader-abi.js';
import { prerequisites } from '../helpers/prereq.js';
import { gcc, scratchDir, sharedLibrary } from '../resolve/helpers/build-elf.js';

const ok = prerequisites({ root: true, commands: ['ldconfig', 'gcc'], packages: 'libc-bin gcc' });

const FLAG_NAMES: Record<number, string> = { 0x0303: 'libc6,x86-64', 0x0803: 'libc6,x32', 0x0003: 'libc6', 0x0001: 'ELF' };

/** The cache as `ldconfig -p` prints it. */
function asLdconfigPrints(cache: LdSoCache): string[] {
  const lines: string[] = [];
  const all = cache.all();
  for (const entry of all) {
    const hwcap = entry.hwcapsSubdir !== undefined ? `, hwcap: "${entry.hwcapsSubdir}"` : entry.hwcap ? `, hwcap: 0x${entry.hwcap.toString(16).padStart(16, '0')}` : '';
    lines.push(`\t${entry.soname} (${FLAG_NAMES[entry.flags] ?? entry.flags}${hwcap}) => ${entry.path}`);
  }
  return lines;
}

function ldconfigPrint(cacheFile: string): string[] {
  return String(execaSync('ldconfig', ['-p', '-C', cacheFile]).stdout)
    .split('\n')
    .filter((line) => line.startsWith('\t'));
}

/** A CPU that has exactly the x86-64 levels up to `level` (1 = baseline only). */
function cpuUpTo(level: number) {
  const flags = ['cx16 lahf_lm popcnt pni sse4_1 sse4_2 ssse3', 'avx avx2 bmi1 bmi2 f16c fma abm movbe xsave', 'avx512f avx512bw avx512cd avx512dq avx512vl'];
  return parseCpuinfo(`vendor_id\t: AuthenticAMD\nflags\t\t: sse2 ${flags.slice(0, level - 1).join(' ')}\n`);
}

const X86_64 = { elfClass: 64, littleEndian: true, machine: 62 } as const;

describe.skipIf(!ok)('parseLdSoCache', () => {
  let dir = '';
  let cleanup = () => {};

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('cache'));
    mkdirSync(`${dir}/etc`);
    writeFileSync(`${dir}/etc/ld.so.conf`, '/opt/l\n');
    for (const sub of ['', '/glibc-hwcaps/x86-64-v2', '/glibc-hwcaps/x86-64-v3']) {
      mkdirSync(`${dir}/opt/l${sub}`, { recursive: true });
      sharedLibrary(`${dir}/opt/l${sub}`, 'liba.so.1', 'liba.c', ['-Wl,-soname,liba.so.1']);
    }
    execaSync('ldconfig', ['-r', dir]);
    mkdirSync(`${dir}/bin`);
    gcc(dir, ['-o', 'bin/prog', 'main-a.c', '-Lopt/l', '-l:liba.so.1']);
  });

  afterAll(() => cleanup());

  it('reads every entry of this machine\'s /etc/ld.so.cache exactly as ldconfig -p prints it', () => {
    const cache = parseLdSoCache(readFileSync('/etc/ld.so.cache'));
    expect(cache && asLdconfigPrints(cache)).toEqual(ldconfigPrint('/etc/ld.so.cache'));
  });

  it('reads glibc-hwcaps entries of a cache written by ldconfig -r', () => {
    const cache = parseLdSoCache(readFileSync(`${dir}/etc/ld.so.cache`));
    expect(cache && asLdconfigPrints(cache)).toEqual([
      '\tliba.so.1 (libc6,x86-64, hwcap: "x86-64-v2") => /opt/l/glibc-hwcaps/x86-64-v2/liba.so.1',
      '\tliba.so.1 (libc6,x86-64, hwcap: "x86-64-v3") => /opt/l/glibc-hwcaps/x86-64-v3/liba.so.1',
      '\tliba.so.1 (libc6,x86-64) => /opt/l/liba.so.1',
    ]);
    expect(cache && asLdconfigPrints(cache)).toEqual(ldconfigPrint(`${dir}/etc/ld.so.cache`));
  });

  it('picks the most preferred glibc-hwcaps entry the CPU supports, else the plain one', () => {
    const entries = parseLdSoCache(readFileSync(`${dir}/etc/ld.so.cache`))?.entries('liba.so.1');
    const pick = (level: number) => pickEntry(entries, loaderAbiFor(X86_64, cpuUpTo(level), false));
    expect([pick(4), pick(3), pick(2), pick(1)]).toEqual([
      '/opt/l/glibc-hwcaps/x86-64-v3/liba.so.1',
      '/opt/l/glibc-hwcaps/x86-64-v3/liba.so.1',
      '/opt/l/glibc-hwcaps/x86-64-v2/liba.so.1',
      '/opt/l/liba.so.1',
    ]);
    expect(pickEntry(entries, loaderAbiFor({ ...X86_64, elfClass: 32, machine: 3 }, cpuUpTo(4), false))).toBeUndefined();
  });

  it('resolves through the cache of the --root tree, never the host\'s', () => {
    const closure = resolveClosure(['/bin/prog'], { root: dir });
    expect(closure.edges.find((e) => e.soname === 'liba.so.1')).toEqual({
      soname: 'liba.so.1',
      by: '/bin/prog',
      path: '/opt/l/glibc-hwcaps/x86-64-v3/liba.so.1',
      via: 'ld.so.cache',
    });
    expect(closure.missing).toEqual([
      { soname: '/lib64/ld-linux-x86-64.so.2', neededBy: '/bin/prog' },
      { soname: 'libc.so.6', neededBy: '/bin/prog' },
    ]);
  });

  it('tolerates the old format\'s header in front of the new cache', () => {
    const modern = readFileSync('/etc/ld.so.cache');
    const old = Buffer.alloc(16);
    old.write('ld.so-1.7.0', 0, 'latin1');
    const wrapped = Buffer.concat([old, modern]);
    expect(parseLdSoCache(wrapped)?.all()).toEqual(parseLdSoCache(modern)?.all());
  });

  it('reads an old-format-only cache', () => {
    const strings = Buffer.from('libz.so.1\0/lib/libz.so.1\0', 'latin1');
    const header = Buffer.alloc(16 + 12);
    header.write('ld.so-1.7.0', 0, 'latin1');
    header.writeUInt32LE(1, 12);
    header.writeInt32LE(3, 16);
    header.writeUInt32LE(0, 20);
    header.writeUInt32LE(10, 24);
    expect(parseLdSoCache(Buffer.concat([header, strings]))?.all()).toEqual([
      { flags: 3, soname: 'libz.so.1', path: '/lib/libz.so.1', hwcap: 0n, hwcapsSubdir: undefined, isaLevel: 0 },
    ]);
  });

  it('rejects what the loader rejects: too short, too many entries, wrong byte order, strings past the end', () => {
    const modern = readFileSync('/etc/ld.so.cache');
    const tooMany = Buffer.from(modern);
    tooMany.writeUInt32LE(1_000_000, 20);
    const bigEndian = Buffer.from(modern);
    bigEndian[28] = 3;
    const badString = Buffer.from(modern);
    badString.writeUInt32LE(modern.length + 5, 48 + 8);
    expect([modern.subarray(0, 48), tooMany, bigEndian, badString, Buffer.from('hello')].map((b) => parseLdSoCache(b))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('never throws on 2000 seeded mutants of the system cache: a parsed cache or undefined', () => {
    const modern = readFileSync('/etc/ld.so.cache');
    let state = 7;
    const random = (limit: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % limit;
    };
    const outcomes = { parsed: 0, rejected: 0 };
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(modern);
      for (let k = 0; k < 1 + random(6); k++) bytes.writeUInt32LE(random(2) ? random(0xffffffff) : random(bytes.length), random(bytes.length - 4) & ~3);
      const cut = random(4) === 0 ? bytes.subarray(0, random(bytes.length)) : bytes;
      if (parseLdSoCache(cut)) outcomes.parsed++;
      else outcomes.rejected++;
    }
    expect(outcomes.parsed + outcomes.rejected).toBe(2000);
    expect(outcomes.parsed).toBeGreaterThan(100);
    expect(outcomes.rejected).toBeGreaterThan(100);
  });
});

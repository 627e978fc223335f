// The jail's ld.so.cache writer: entries in ldconfig's own order (checked against a cache ldconfig
// wrote for the same libraries), read back alike by the project's parser and `ldconfig -p -C`, and the
// same bytes whatever the order of its input.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLdSoCache } from '../../src/elf/ld-so-cache.js';
import { cacheLibCompare, type CacheFileEntry, ldSoCacheBytes } from '../../src/plan/ld-so-cache-bytes.js';
import { prerequisites } from '../helpers/prereq.js';
import { scratchDir, sharedLibrary } from '../resolve/helpers/build-elf.js';

const ok = prerequisites({ commands: ['gcc', 'ldconfig'], packages: 'gcc libc-bin' });

const SONAMES = ['libq.so.1', 'libq.so.10', 'libq.so.9', 'libq.so.1.2', 'libq1.so', 'libq.so', 'libqa.so.2', 'libQ.so.3'];

/** Every entry of a cache in file order, as "soname flags path". */
function listed(bytes: Buffer): string[] {
  const cache = parseLdSoCache(bytes);
  if (!cache) throw new Error('the cache does not parse');
  return cache.all().map((e) => `${e.soname} ${e.flags.toString(16)} ${e.path}`);
}

describe('cacheLibCompare, glibc\'s _dl_cache_libcmp', () => {
  it('compares runs of digits as numbers and sorts a digit after any other character', () => {
    expect([
      Math.sign(cacheLibCompare('libc.so.6', 'libc.so.10')),
      Math.sign(cacheLibCompare('libq.so', 'libq1.so')),
      Math.sign(cacheLibCompare('libq.so.1', 'libq.so.1.2')),
      Math.sign(cacheLibCompare('libQ.so', 'libq.so')),
      cacheLibCompare('libz.so.01', 'libz.so.1'),
    ]).toEqual([-1, -1, -1, -1, 0]);
  });
});

describe.skipIf(!ok)('ldSoCacheBytes', () => {
  let dir = '';
  let cleanup = () => {};
  let entries: CacheFileEntry[] = [];

  beforeAll(() => {
    ({ dir, cleanup } = scratchDir('cachebytes'));
    mkdirSync(`${dir}/root/etc`, { recursive: true });
    mkdirSync(`${dir}/root/opt/q`, { recursive: true });
    for (const soname of SONAMES) sharedLibrary(`${dir}/root/opt/q`, `${soname}.real`, 'liba.c', [`-Wl,-soname,${soname}`]);
    for (const soname of SONAMES) symlinkSync(`${soname}.real`, `${dir}/root/opt/q/${soname}`);
    writeFileSync(`${dir}/root/etc/ld.so.conf`, '/opt/q\n');
    entries = SONAMES.map((soname) => ({ flags: 0x0303, soname, path: `/opt/q/${soname}` }));
  });
  afterAll(() => cleanup());

  it('orders the entries as ldconfig does for the same libraries', () => {
    execFileSync('ldconfig', ['-r', `${dir}/root`]);
    const byLdconfig = listed(readFileSync(`${dir}/root/etc/ld.so.cache`)).filter((line) => line.includes('/opt/q/'));
    expect(listed(ldSoCacheBytes(entries))).toEqual(byLdconfig);
    expect(byLdconfig).toHaveLength(SONAMES.length);
  });

  it('writes the same bytes for the same entries in any order, once each', () => {
    const reversed = [...entries].reverse();
    expect(ldSoCacheBytes([...reversed, ...entries]).equals(ldSoCacheBytes(entries))).toBe(true);
  });

  it('is read back by `ldconfig -p -C` with each entry\'s type and path', () => {
    const file = `${dir}/written.cache`;
    writeFileSync(file, ldSoCacheBytes([{ flags: 0x0003, soname: 'libq.so.1', path: '/usr/lib32/libq.so.1' }, ...entries.slice(0, 2)]));
    expect(execFileSync('ldconfig', ['-p', '-C', file], { encoding: 'utf8' })).toBe(
      [
        `3 libs found in cache \`${file}'`,
        '\tlibq.so.10 (libc6,x86-64) => /opt/q/libq.so.10',
        '\tlibq.so.1 (libc6,x86-64) => /opt/q/libq.so.1',
        '\tlibq.so.1 (libc6) => /usr/lib32/libq.so.1',
        '',
      ].join('\n'),
    );
  });
});

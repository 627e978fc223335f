// Planning the jail's ld.so.cache: one entry per cache-only library with the host cache's type word,
// nothing when there is none, and a warning naming the fix when the host's cache does not list it.
import { describe, expect, it } from 'vitest';
import { parseLdSoCache } from '../../src/elf/ld-so-cache.js';
import { ldSoCacheBytes } from '../../src/plan/ld-so-cache-bytes.js';
import { PlanBuilder } from '../../src/plan/plan-builder.js';
import { planLdSoCache } from '../../src/plan/plan-ld-so-cache.js';

const edge = (soname: string, by: string) => ({ edge: { soname, by, path: `/opt/vendor/lib/${soname}`, via: 'ld.so.cache' as const } });
const hostCache = parseLdSoCache(ldSoCacheBytes([{ flags: 0x0303, soname: 'libv.so.1', path: '/opt/vendor/lib/libv.so.1' }]));

describe('planLdSoCache', () => {
  it('plans no cache when no library needs one', () => {
    const plan = new PlanBuilder();
    planLdSoCache(plan, [], hostCache);
    expect({ cache: plan.get('/etc/ld.so.cache'), warnings: plan.warnings }).toEqual({ cache: undefined, warnings: [] });
  });

  it('plans the cache with the host entry\'s type word and one reason per program that needs the library', () => {
    const plan = new PlanBuilder();
    planLdSoCache(plan, [edge('libv.so.1', '/usr/bin/a'), edge('libv.so.1', '/usr/bin/b'), edge('libv.so.1', '/usr/bin/a')], hostCache);
    const data = ldSoCacheBytes([{ flags: 0x0303, soname: 'libv.so.1', path: '/opt/vendor/lib/libv.so.1' }]);
    const what = "ld.so.cache entry libv.so.1 => /opt/vendor/lib/libv.so.1: the host's cache finds it outside the loader's default directories";
    expect(plan.get('/etc/ld.so.cache')).toMatchObject({
      type: 'file',
      mode: '0444',
      size: data.length,
      reasons: [
        { kind: 'config', by: '/usr/bin/a', what },
        { kind: 'config', by: '/usr/bin/b', what },
      ],
    });
    expect(plan.contents.get('/etc/ld.so.cache')).toEqual({ kind: 'bytes', data });
    expect(plan.warnings).toEqual([]);
  });

  it('warns, naming the fix, about a library the host\'s cache file does not list', () => {
    const plan = new PlanBuilder();
    planLdSoCache(plan, [edge('libw.so.2', '/usr/bin/a')], undefined);
    expect({ cache: plan.get('/etc/ld.so.cache'), warnings: plan.warnings }).toEqual({
      cache: undefined,
      warnings: [
        "/opt/vendor/lib/libw.so.2 (libw.so.2, needed by /usr/bin/a) is found in /opt/vendor/lib only through the host's ld.so.conf, not a directory the loader searches by default, and the host has no /etc/ld.so.cache listing it to copy into the jail's; it will not load inside the jail: run ldconfig on the host and build again, or relink /usr/bin/a with a RUNPATH naming /opt/vendor/lib",
      ],
    });
  });
});

// named traced with the test configuration (fixtures/bind) against recipes/bind.ts, in both modes.
// Wrapper mode: the recipe's own run (named -g -c CONFIG) traced on the host. Self mode: named -t DIR/root
// -u bind traced on the host, compared with the recipe's jail from its own chroot() on (what it opens
// before is the host's, by design). In both, the jail lacks nothing named opened. Then each built jail's
// service is traced from outside (trace --in-jail): what fails inside is only what the recipe explains
// (recipes/bind.ts, docs/bind.md), and named reads the jail's /etc/bind/bind.keys.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJail, type BuiltJail } from '../helpers/build-jail.js';
import { mkjail, REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { type BindFixture, freeDnsPort, writeBindFixture } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['named', 'strace'], packages: 'bind9 strace' });
const RECIPE = join(REPO_ROOT, 'recipes/bind.ts');
const BIND_KEYS = '/etc/bind/bind.keys';

/** What named 9.18 fails to open inside its jail, each explained in recipes/bind.ts. */
const THREAD_NAME = /^\/proc\/self\/task\/\d+\/comm$/; // it names its threads through /proc; no /proc in a jail
const EXPLAINED: Record<'self' | 'wrapper', string[]> = {
  // Before its chroot() named has done all these on the host.
  self: [],
  // libjemalloc reads the kernel's overcommit and transparent-huge-page settings as it loads (and takes
  // its defaults without them); named's openlog(LOG_NDELAY) connects to /dev/log at start, and with -g
  // it logs to stderr only.
  wrapper: ['/dev/log', '/proc/sys/vm/overcommit_memory', '/sys/kernel/mm/transparent_hugepage/enabled'],
};

interface InJailReport {
  exitCode: number;
  failures: { path: string; errno: string; by: string; syscall: string; host: string }[];
}

describe.skipIf(!ok)('named traced against recipes/bind.ts', () => {
  let fixture: BindFixture;
  const jails: Partial<Record<'self' | 'wrapper', BuiltJail>> = {};
  beforeAll(async () => {
    fixture = writeBindFixture(await freeDnsPort());
    for (const mode of ['self', 'wrapper'] as const) jails[mode] = await buildJail(RECIPE, { set: { config: fixture.config, mode, low_ports: 'no' } });
  });
  afterAll(() => {
    for (const jail of Object.values(jails)) jail?.cleanup();
    fixture?.cleanup();
  });
  const jail = (mode: 'self' | 'wrapper') => jails[mode] as BuiltJail;
  const sets = (mode: string) => ['--set', `config=${fixture.config}`, '--set', `mode=${mode}`, '--set', 'low_ports=no'];

  it("the platform: named's default trust anchor file is /etc/bind/bind.keys, and bind9 installed it", () => {
    expect(execFileSync('named', ['-V'], { encoding: 'utf8' })).toMatch(/DNSSEC root key:\s+\/etc\/bind\/bind\.keys\n/);
    expect(existsSync(BIND_KEYS)).toBe(true);
  });

  it('both jails hold /etc/bind/bind.keys, from the named.conf follower', () => {
    for (const mode of ['self', 'wrapper'] as const) {
      const entry = jail(mode).manifest.entries.find((e) => e.path === BIND_KEYS);
      expect(entry?.reasons).toEqual([{ kind: 'config', by: fixture.config, what: 'options.bindkeys-file (default /etc/bind/bind.keys): named reads the root trust anchors there at start' }]);
    }
  });

  it('wrapper mode: trace --recipe finds nothing named opened that the jail lacks', async () => {
    const traced = await mkjail(['trace', '--recipe', RECIPE, ...sets('wrapper'), '--timeout', '6']);
    expect(traced.stdout.split('\n')[0]).toBe(`// the jail of ${RECIPE} lacks nothing the traced run used`);
    expect(traced.exitCode, traced.stdout).toBe(0);
  });

  it('self mode: trace --recipe of named -t DIR/root finds nothing it opened after its chroot() that the jail lacks', async () => {
    const command = ['/usr/sbin/named', '-g', '-t', jail('self').root, '-u', 'bind', '-c', fixture.config];
    const traced = await mkjail(['trace', '--recipe', RECIPE, ...sets('self'), '--timeout', '6', '--', ...command]);
    expect(traced.stdout).toBe(`// the jail of ${RECIPE} lacks nothing the traced run used`);
    expect(traced.exitCode).toBe(0);
    // It read the jail's bind.keys: the comparison saw what named did inside the jail.
    expect(traced.stderr).toContain(`reading built-in trust anchors from file '${BIND_KEYS}'`);

    // Without a chroot() there is nothing to compare: a one-line error saying how to trace it.
    const host = await mkjail(['trace', '--recipe', RECIPE, ...sets('self'), '--timeout', '6', '--', '/usr/sbin/named', '-v']);
    expect(host.exitCode).toBe(2);
    expect(host.stderr).toContain("/usr/sbin/named -v never chroot()ed: the recipe's service chroots itself (run.chroot: 'self')");
  });

  for (const mode of ['self', 'wrapper'] as const) {
    it(`${mode} mode: trace --in-jail finds only the failures recipes/bind.ts explains, and named reads the jail's bind.keys`, async () => {
      const traced = await mkjail(['trace', '--in-jail', jail(mode).dir, '--json', '--timeout', '6']);
      const report = JSON.parse(traced.stdout) as InJailReport;
      const unexplained = report.failures.filter((failure) => !THREAD_NAME.test(failure.path)).map((failure) => failure.path);
      expect(unexplained, JSON.stringify(report.failures)).toEqual(EXPLAINED[mode]);
      expect(traced.exitCode).toBe(report.failures.some((failure) => failure.host !== 'nothing') ? 1 : 0);
      expect(traced.stderr).toContain(`reading built-in trust anchors from file '${BIND_KEYS}'`);
    });
  }
});

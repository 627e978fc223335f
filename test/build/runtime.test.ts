// The recipe field `runtime`: well-known run-time files, resolved on the host, each with a reason that
// names its item. Built for real and used inside the jail as nobody: date reads the zone (tz), iconv
// converts through a gconv module (gconv; without it the same jail cannot), openssl reads the CA bundle
// (openssl, ca-certificates).
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { buildJail, type BuiltJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ root: true, commands: ['date', 'iconv', 'openssl', 'chroot'], packages: 'coreutils libc-bin openssl ca-certificates' });

const recipe = (runtime: string) => `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'runtime',
  binaries: ['/usr/bin/date', '/usr/bin/iconv', '/usr/bin/openssl'],
  user: 'nobody',
  runtime: ${runtime},
});
`;

describe.skipIf(!ok)('the runtime field', () => {
  const jails: BuiltJail[] = [];
  afterAll(() => {
    for (const jail of jails) jail.cleanup();
  });
  const run = (jail: BuiltJail, argv: string[], input?: Buffer) =>
    spawnSync('/usr/sbin/chroot', ['--userspec=65534:65534', '--groups=65534', jail.root, ...argv], { env: { PATH: '/usr/bin' }, ...(input ? { input } : {}) });

  it('brings each item from the host with a reason naming it, and the programs use them in the jail', async () => {
    const jail = await buildJail(recipe("['tz', 'openssl', 'ca-certificates', 'gconv', 'libgcc_s', 'locale', 'terminfo', 'resolver']"));
    jails.push(jail);
    const byPath = new Map(jail.manifest.entries.map((entry) => [entry.path, entry]));
    const fields = (path: string) => byPath.get(path)?.reasons.map((reason) => (reason.kind === 'recipe' || reason.kind === 'binary' ? reason.field : reason.kind));
    expect(fields('/etc/localtime')).toEqual(['runtime.0 (tz)']);
    expect(fields('/usr/lib/ssl/openssl.cnf')).toEqual(['runtime.1 (openssl)']);
    expect(fields('/usr/lib/ssl/cert.pem')).toEqual(['runtime.2 (ca-certificates)']);
    expect(byPath.get('/etc/ssl/certs/ca-certificates.crt')?.type).toBe('file');
    expect(fields('/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache')).toEqual(['runtime.3 (gconv)']);
    expect(fields('/usr/lib/x86_64-linux-gnu/gconv/ISO8859-15.so')).toEqual(['runtime.3 (gconv)']);
    expect([...byPath.keys()].some((path) => path.endsWith('/libgcc_s.so.1') && fields(path)?.includes('runtime.4 (libgcc_s)'))).toBe(true);
    expect(fields('/usr/lib/locale/C.utf8')).toEqual(['runtime.5 (locale)']);
    expect(fields('/usr/lib/terminfo/x/xterm') ?? fields('/lib/terminfo/x/xterm')).toEqual(['runtime.6 (terminfo)']);
    expect(fields('/etc/resolv.conf')).toEqual(['runtime.7 (resolver)']);

    const hostZone = execFileSync('date', ['+%Z'], { env: { PATH: '/usr/bin' }, encoding: 'utf8' });
    expect(run(jail, ['/usr/bin/date', '+%Z'])).toMatchObject({ status: 0 });
    expect(run(jail, ['/usr/bin/date', '+%Z']).stdout.toString()).toBe(hostZone);
    const euro = run(jail, ['/usr/bin/iconv', '-f', 'ISO-8859-15', '-t', 'UTF-8'], Buffer.from([0xa4]));
    expect(euro.status, euro.stderr.toString()).toBe(0);
    expect(euro.stdout.toString()).toBe('€');
    const subject = run(jail, ['/usr/bin/openssl', 'x509', '-noout', '-subject', '-in', '/usr/lib/ssl/cert.pem']);
    expect(subject.status, subject.stderr.toString()).toBe(0);
    expect(subject.stdout.toString()).toMatch(/^subject=/);
  });

  it('without gconv, the same conversion fails in the jail', async () => {
    const jail = await buildJail(recipe("['tz']"));
    jails.push(jail);
    const euro = run(jail, ['/usr/bin/iconv', '-f', 'ISO-8859-15', '-t', 'UTF-8'], Buffer.from([0xa4]));
    expect(euro.status).not.toBe(0);
    expect(euro.stderr.toString()).toContain('failed to start conversion processing');
  });

  it('refuses an unknown item in one line', async () => {
    await expect(buildJail(recipe("['tz', 'timezone']"))).rejects.toThrow(/field runtime\.1: a run-time item: tz, openssl, ca-certificates, gconv, libgcc_s, locale, terminfo, resolver/);
  });
});

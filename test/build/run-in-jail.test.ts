// A jail built from recipes/id.ts runs its shell-less program under chroot as a non-root user, with
// nothing in the jail but the program, its loader and libraries, /dev/null and the identity files.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ root: true, commands: ['chroot', '/usr/bin/id', 'getent', 'mknod', 'perl'], packages: 'coreutils' });

describe.skipIf(!ok)('the jail of recipes/id.ts', () => {
  let jail: BuiltJail;
  beforeAll(async () => {
    jail = await buildJail(`${REPO_ROOT}recipes/id.ts`);
  });
  afterAll(() => jail?.cleanup());

  it('runs id under chroot as nobody, naming the identity from the jail', () => {
    const output = execFileSync('chroot', ['--userspec=65534:65534', '--groups=65534', jail.root, '/usr/bin/id'], { encoding: 'utf8' });
    expect(output).toBe('uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n');
  });

  it('holds the program, its interpreter and libraries with their reasons, and no shell', () => {
    const byPath = new Map(jail.manifest.entries.map((e) => [e.path, e]));
    expect(byPath.get('/usr/bin/id')).toMatchObject({ type: 'file', mode: '0555', uid: 0, gid: 0, reasons: [{ kind: 'binary', field: 'binaries.0' }] });
    expect(byPath.get('/usr/lib/x86_64-linux-gnu/libc.so.6')?.reasons).toContainEqual({ kind: 'needed', soname: 'libc.so.6', by: '/usr/bin/id', via: 'ld.so.cache' });
    expect(byPath.get('/lib64')).toMatchObject({ type: 'symlink', target: 'usr/lib64' });
    expect(byPath.get('/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2')?.reasons).toContainEqual({ kind: 'interpreter', of: '/usr/bin/id' });
    expect([...byPath.keys()].filter((p) => /\/(ba|da)?sh$/.test(p))).toEqual([]);
    expect(jail.manifest.run).toEqual({ argv: ['/usr/bin/id'], env: {}, chroot: 'launcher' });
  });
});

// The recipe's own nsswitch.conf comes from the checkout: readable by others on the host, it is 0444 in the jail.
const readable = ok && prerequisites({ othersCanRead: ['recipes/glibc-nss-base/nsswitch.conf'] });

describe.skipIf(!readable)('the jail of recipes/getent.ts, which includes recipes/glibc-nss-base.ts', () => {
  let jail: BuiltJail;
  beforeAll(async () => {
    jail = await buildJail(`${REPO_ROOT}recipes/getent.ts`);
  });
  afterAll(() => jail?.cleanup());

  const getent = (...query: string[]) => {
    try {
      return { status: 0, stdout: execFileSync('chroot', ['--userspec=65534:65534', '--groups=65534', jail.root, '/usr/bin/getent', ...query], { encoding: 'utf8' }) };
    } catch (error) {
      return { status: (error as { status: number }).status, stdout: String((error as { stdout: string }).stdout) };
    }
  };

  it('answers name lookups from the jail\'s own files, not the host\'s', () => {
    expect(getent('passwd', 'nobody')).toEqual({ status: 0, stdout: 'nobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n' });
    expect(getent('passwd', 'root')).toEqual({ status: 0, stdout: 'root:x:0:0:root:/:/usr/sbin/nologin\n' });
    expect(execFileSync('getent', ['passwd', 'daemon'], { encoding: 'utf8' })).toMatch(/^daemon:/);
    expect(getent('passwd', 'daemon')).toEqual({ status: 2, stdout: '' });
    expect(getent('hosts', 'localhost').stdout).toMatch(/^(127\.0\.0\.1|::1)\s+localhost/);
  });

  it('records the included files with the included recipe\'s field', () => {
    const byPath = new Map(jail.manifest.entries.map((e) => [e.path, e]));
    expect(byPath.get('/etc/nsswitch.conf')).toMatchObject({ type: 'file', mode: '0444', reasons: [{ kind: 'recipe', field: 'files.0 (glibc-nss-base)' }], source: `${REPO_ROOT}recipes/glibc-nss-base/nsswitch.conf` });
    expect([...byPath.keys()].filter((p) => p.includes('libnss_'))).toEqual([]);
  });
});

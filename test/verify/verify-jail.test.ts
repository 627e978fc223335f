import { appendFileSync, chmodSync, lchownSync, linkSync, mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { type Fixture, hostIds, makeCharDevice, makeFixture, sampleEntries, SERVICE } from './jail-fixture.js';

const ok = prerequisites({ root: true, commands: ['mknod', 'getent'] });

describe.skipIf(!ok)('verifyJail on a jail tree and its manifest', () => {
  let jail: Fixture;
  const at = (path: string) => join(jail.root, path);
  beforeEach(() => {
    jail = makeFixture();
  });
  afterEach(() => jail.cleanup());

  it('finds nothing in a jail that matches its manifest', () => {
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
  });

  it('reports a missing file', () => {
    unlinkSync(at('/etc/passwd'));
    expect(verifyJail(jail.root, jail.manifest)).toEqual([{ kind: 'missing', path: '/etc/passwd', expected: 'file', found: 'nothing' }]);
  });

  it('reports every extra entry, but not the service data below a writable directory', () => {
    mkdirSync(at('/etc/extra'));
    writeFileSync(at('/etc/extra/shadow'), 'root:x:\n');
    writeFileSync(at('/var/cache/svc/cache.db'), 'data written by the service\n');
    mkdirSync(at('/var/cache/svc/sub'));
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'extra', path: '/etc/extra', expected: 'nothing', found: 'dir' },
      { kind: 'extra', path: '/etc/extra/shadow', expected: 'nothing', found: 'file' },
    ]);
  });

  it('reports a file replaced by a symlink to a host file as a type change, without reading the host file', () => {
    unlinkSync(at('/etc/passwd'));
    symlinkSync('/etc/passwd', at('/etc/passwd'));
    expect(verifyJail(jail.root, jail.manifest)).toEqual([{ kind: 'type', path: '/etc/passwd', expected: 'file', found: 'symlink' }]);
  });

  it('reports changed content by size, and by sha256 when the size is the same', () => {
    appendFileSync(at('/usr/sbin/svc'), 'echo owned\n');
    writeFileSync(at('/etc/passwd'), readPasswd().replace('x', 'y'));
    const drifts = verifyJail(jail.root, jail.manifest);
    expect(drifts).toEqual([
      { kind: 'content', path: '/etc/passwd', expected: `sha256 ${entrySha('/etc/passwd')}`, found: expect.stringMatching(/^sha256 [0-9a-f]{64}$/) },
      { kind: 'content', path: '/usr/sbin/svc', expected: '13 bytes', found: '24 bytes' },
    ]);
    expect(drifts[0]?.found).not.toBe(drifts[0]?.expected);
  });

  it('reports a changed mode, including a setuid bit and a loosened directory', () => {
    chmodSync(at('/usr/sbin/svc'), 0o4555);
    chmodSync(at('/etc'), 0o777);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'mode', path: '/etc', expected: '0555', found: '0777' },
      { kind: 'mode', path: '/usr/sbin/svc', expected: '0555', found: '4555' },
    ]);
  });

  it('reports a changed owner or group, of a file and of a symlink itself', () => {
    const { uid, gid } = hostIds(SERVICE);
    lchownSync(at('/etc/passwd'), uid, 0);
    lchownSync(at('/lib'), 0, gid);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'owner', path: '/etc/passwd', expected: '0:0', found: `${uid}:0` },
      { kind: 'owner', path: '/lib', expected: '0:0', found: `0:${gid}` },
    ]);
  });

  it('reports a file that gained a second name (a hard link shares its inode, perhaps with the host)', () => {
    const outside = join(jail.root, '..', 'passwd-link');
    linkSync(at('/etc/passwd'), outside);
    try {
      expect(verifyJail(jail.root, jail.manifest)).toEqual([{ kind: 'links', path: '/etc/passwd', expected: '1 link', found: '2 links' }]);
    } finally {
      unlinkSync(outside);
    }
  });

  it('reports a symlink whose target changed', () => {
    unlinkSync(at('/lib'));
    symlinkSync('/usr/lib', at('/lib'));
    expect(verifyJail(jail.root, jail.manifest)).toEqual([{ kind: 'target', path: '/lib', expected: 'usr/lib', found: '/usr/lib' }]);
  });

  it('reports a device node with other device numbers', () => {
    unlinkSync(at('/dev/null'));
    makeCharDevice(at('/dev/null'), 1, 5);
    chmodSync(at('/dev/null'), 0o666);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([{ kind: 'device', path: '/dev/null', expected: '1,3', found: '1,5' }]);
  });

  it('reports a directory replaced by a symlink, and does not look through it', () => {
    rmSync(at('/usr/lib'), { recursive: true });
    symlinkSync('/usr/lib', at('/usr/lib'));
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'type', path: '/usr/lib', expected: 'dir', found: 'symlink' },
      { kind: 'missing', path: '/usr/lib/libsvc.so.1', expected: 'file', found: 'nothing' },
    ]);
  });

  it('checks the writable directory itself and file names with quotes and newlines', () => {
    chmodSync(at('/var/cache/svc'), 0o777);
    lchownSync(at('/etc/new\nline'), 0, 0);
    const { uid, gid } = hostIds(SERVICE);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'owner', path: '/etc/new\nline', expected: `0:${gid}`, found: '0:0' },
      { kind: 'mode', path: '/var/cache/svc', expected: '0700', found: '0777' },
    ]);
    expect(uid).toBeGreaterThan(0);
  });

  it('lists several kinds of drift of one path in a fixed order', () => {
    writeFileSync(at('/etc/passwd'), 'root::0:0::/:/bin/sh\n');
    chmodSync(at('/etc/passwd'), 0o666);
    lchownSync(at('/etc/passwd'), 1, 1);
    expect(verifyJail(jail.root, jail.manifest).map((d) => d.kind)).toEqual(['content', 'mode', 'owner']);
  });

  it('leaves the content of a writable file and the data below a writable directory to the service', () => {
    jail.cleanup();
    const { uid, gid } = hostIds(SERVICE);
    jail = makeFixture([
      ...sampleEntries(),
      { type: 'file', path: '/etc/zone.db', mode: '0600', uid, gid, content: '@ SOA a b 1 2 3 4 5\n', reasons: [{ kind: 'writable', why: 'dynamic updates' }] },
      { type: 'file', path: '/var/cache/svc/keys', mode: '0600', uid, gid, content: 'key\n', reasons: [{ kind: 'config', by: '/usr/sbin/svc', what: 'keys' }] },
    ]);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    writeFileSync(at('/etc/zone.db'), '@ SOA a b 2 2 3 4 5 ; updated\n');
    writeFileSync(at('/var/cache/svc/keys'), 'rolled key\n');
    chmodSync(at('/var/cache/svc/keys'), 0o644);
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
    chmodSync(at('/etc/zone.db'), 0o666);
    unlinkSync(at('/var/cache/svc/keys'));
    symlinkSync('/etc/shadow', at('/var/cache/svc/keys'));
    expect(verifyJail(jail.root, jail.manifest)).toEqual([
      { kind: 'mode', path: '/etc/zone.db', expected: '0600', found: '0666' },
      { kind: 'type', path: '/var/cache/svc/keys', expected: 'file', found: 'symlink' },
    ]);
    unlinkSync(at('/var/cache/svc/keys'));
    expect(verifyJail(jail.root, jail.manifest)).toContainEqual({ kind: 'missing', path: '/var/cache/svc/keys', expected: 'file', found: 'nothing' });
  });

  function readPasswd(): string {
    const { uid, gid } = hostIds(SERVICE);
    return `${SERVICE}:x:${uid}:${gid}::/nonexistent:/usr/sbin/nologin\n`;
  }

  function entrySha(path: string): string {
    const entry = jail.manifest.entries.find((e) => e.path === path);
    if (entry?.type !== 'file') throw new Error(`no file ${path} in the fixture`);
    return entry.sha256;
  }
});

// The unbound.conf follower, on config trees written to a scratch root and on Debian's own unbound.conf.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MkjailError } from '../../../src/errors.js';
import { findConfigFollower } from '../../../src/resolve/config-followers/index.js';
import { followUnboundConf } from '../../../src/resolve/config-followers/unbound-conf.js';
import { prerequisites } from '../../helpers/prereq.js';

let root: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mkjail-unbound-conf-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('the unbound.conf follower', () => {
  it('is registered under the format name recipes use', () => {
    expect(findConfigFollower('unbound.conf')?.format).toBe('unbound.conf');
  });

  it('follows includes with globs, the directory, the anchor (writable), hints and keys (secrets), with file and line', () => {
    write('/etc/unbound/unbound.conf', [
      'server:',
      '    directory: "/etc/unbound"  # relative names below are in it',
      '    include: "/etc/unbound/unbound.conf.d/*.conf"',
      '    root-hints: root.hints',
      '    tls-service-key: "tls/server.key"',
      '    tls-service-pem: "tls/server.pem"',
      '    pidfile: "/run/unbound/unbound.pid"',
      '    logfile: "/var/log/unbound/unbound.log"',
      'remote-control:',
      '    control-key-file: "/etc/unbound/unbound_control.key"',
      '',
    ].join('\n'));
    write('/etc/unbound/unbound.conf.d/b.conf', 'server:\n  auto-trust-anchor-file: "/var/lib/unbound/root.key"\n');
    write('/etc/unbound/unbound.conf.d/a.conf', 'server:\n  local-zone: "example.test." static\n');
    const secret = ': a secret, readable only by root and the service group';
    expect(followUnboundConf(root, '/etc/unbound/unbound.conf')).toEqual({
      files: [
        { path: '/etc/unbound/unbound.conf', by: '/etc/unbound/unbound.conf', what: 'unbound.conf: the configuration unbound reads (-c)' },
        { path: '/etc/unbound/unbound.conf.d/a.conf', by: '/etc/unbound/unbound.conf', what: 'include /etc/unbound/unbound.conf.d/*.conf, line 3' },
        { path: '/etc/unbound/unbound.conf.d/b.conf', by: '/etc/unbound/unbound.conf', what: 'include /etc/unbound/unbound.conf.d/*.conf, line 3' },
        { path: '/var/lib/unbound/root.key', by: '/etc/unbound/unbound.conf.d/b.conf', what: 'auto-trust-anchor-file, line 2: the trust anchor unbound starts from' },
        { path: '/etc/unbound/root.hints', by: '/etc/unbound/unbound.conf', what: 'root-hints, line 4' },
        { path: '/etc/unbound/tls/server.key', by: '/etc/unbound/unbound.conf', what: `tls-service-key, line 5${secret}`, private: true },
        { path: '/etc/unbound/tls/server.pem', by: '/etc/unbound/unbound.conf', what: 'tls-service-pem, line 6' },
        { path: '/etc/unbound/unbound_control.key', by: '/etc/unbound/unbound.conf', what: `control-key-file, line 10${secret}`, private: true },
      ],
      writable: [
        { path: '/var/lib/unbound', by: '/etc/unbound/unbound.conf.d/b.conf', what: 'auto-trust-anchor-file, line 2: unbound rewrites the anchor there (a new file renamed over it)' },
        { path: '/var/log/unbound', by: '/etc/unbound/unbound.conf', what: 'logfile, line 8: unbound appends its log there' },
        { path: '/run/unbound', by: '/etc/unbound/unbound.conf', what: 'pidfile, line 7: unbound writes its pid file there' },
      ],
    });
  });

  it("reads paths below unbound's own chroot as the jail sees them, and writes no pid file for pidfile: \"\"", () => {
    write('/etc/unbound/unbound.conf', 'server:\n  chroot: "/srv/jail"\n  directory: "/srv/jail/etc/unbound"\n  root-hints: "root.hints"\n  pidfile: ""\n');
    const result = followUnboundConf(root, '/etc/unbound/unbound.conf');
    expect(result.files.map((f) => f.path)).toEqual(['/etc/unbound/unbound.conf', '/etc/unbound/root.hints']);
    expect(result.writable).toEqual([]);
  });

  it('refuses a line that is not name: value, with the file and line', () => {
    write('/etc/unbound/unbound.conf', 'server:\n  interface 127.0.0.1\n');
    try {
      followUnboundConf(root, '/etc/unbound/unbound.conf');
      throw new Error('expected a MkjailError');
    } catch (error) {
      expect(error).toBeInstanceOf(MkjailError);
      expect((error as MkjailError).message).toBe('Can\'t parse unbound.conf at /etc/unbound/unbound.conf:2: "interface 127.0.0.1" is not "name: value"');
    }
  });
});

const haveUnbound = prerequisites({ commands: ['unbound'], packages: 'unbound' });

describe.skipIf(!haveUnbound)("the unbound.conf follower on Debian's own unbound.conf", () => {
  it('follows include-toplevel into unbound.conf.d and the auto trust anchor there', () => {
    cpSync('/etc/unbound', join(root, 'etc/unbound'), { recursive: true, verbatimSymlinks: true });
    const result = followUnboundConf(root, '/etc/unbound/unbound.conf');
    expect(result.files.map((f) => f.path)).toEqual(expect.arrayContaining(['/etc/unbound/unbound.conf', '/etc/unbound/unbound.conf.d/root-auto-trust-anchor-file.conf', '/var/lib/unbound/root.key']));
    expect(result.writable.map((w) => w.path)).toEqual(['/var/lib/unbound', '/run']);
  });
});

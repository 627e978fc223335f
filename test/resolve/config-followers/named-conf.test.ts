// The named.conf follower, run on real config trees written to a scratch root.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MkjailError } from '../../../src/errors.js';
import { findConfigFollower } from '../../../src/resolve/config-followers/index.js';
import { followNamedConf } from '../../../src/resolve/config-followers/named-conf.js';
import { prerequisites } from '../../helpers/prereq.js';

let root: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

function errorOf(run: () => unknown): { message: string; hint: string | undefined; exitCode: number } {
  try {
    run();
  } catch (error) {
    if (error instanceof MkjailError) return { message: error.message, hint: error.hint, exitCode: error.exitCode };
    throw error;
  }
  throw new Error('expected a MkjailError');
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mkjail-named-conf-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('the named.conf follower', () => {
  it('is registered under the format name recipes use', () => {
    expect(findConfigFollower('named.conf')?.format).toBe('named.conf');
  });

  it('follows includes, the working directory and every zone of a Debian-style config', () => {
    write('/etc/bind/named.conf', 'include "/etc/bind/named.conf.options";\n// a comment\ninclude "/etc/bind/named.conf.local";\n');
    write('/etc/bind/named.conf.options', 'options {\n\tdirectory "/var/cache/bind";\n\tlisten-on-v6 { any; };\n};\n');
    write('/etc/bind/named.conf.local', 'zone "." { type hint; file "/usr/share/dns/root.hints"; };\nzone "localhost" {\n type master;\n file "/etc/bind/db.local";\n};\n');
    expect(followNamedConf(root, '/etc/bind/named.conf')).toEqual({
      files: [
        { path: '/etc/bind/named.conf', by: '/etc/bind/named.conf', what: 'named.conf: the configuration named reads (-c)' },
        { path: '/etc/bind/named.conf.options', by: '/etc/bind/named.conf', what: 'include' },
        { path: '/etc/bind/named.conf.local', by: '/etc/bind/named.conf', what: 'include' },
        { path: '/usr/share/dns/root.hints', by: '/etc/bind/named.conf.local', what: 'zone "." file' },
        { path: '/etc/bind/db.local', by: '/etc/bind/named.conf.local', what: 'zone "localhost" file' },
      ],
      writable: [
        { path: '/var/cache/bind', by: '/etc/bind/named.conf.options', what: 'options.directory: working directory (managed keys, journals, dumps)' },
        { path: '/run/named', by: '/etc/bind/named.conf.options', what: 'options.pid-file (default /run/named/named.pid): named creates its pid file there' },
      ],
    });
  });

  it('resolves relative names against the directory and declares secondary, dynamic and state directories writable', () => {
    write(
      '/srv/dns/named.conf',
      [
        '/* every kind',
        '   of comment */ # hash comment',
        'options {',
        '  directory "/srv/dns/work";',
        '  key-directory "keys";',
        '  managed-keys-directory "/srv/dns/managed";',
        '  bindkeys-file "/srv/dns/bind.keys";',
        '  pid-file "/srv/dns/run/named.pid";',
        '  session-keyfile none;',
        '  lock-file "/srv/dns/run/named.lock";',
        '  statistics-file "/srv/dns/stats/named.stats";',
        '};',
        'logging { channel queries { file "/srv/dns/log/queries.log" versions 3; }; };',
        'view "inside" IN {',
        '  zone "example.test" IN { type primary; file "zones/example.test.db"; allow-update { none; }; };',
        '  zone "dyn.test" { type primary; file "/srv/dns/dyn/dyn.test.db"; allow-update { 127.0.0.1; }; };',
        '  zone "copy.test" { type secondary; file "secondaries/copy.test.db"; primaries { 127.0.0.1; }; };',
        '  zone "fwd.test" { type forward; forwarders { 192.0.2.1; }; };',
        '};',
        '',
      ].join('\n'),
    );
    expect(followNamedConf(root, '/srv/dns/named.conf')).toEqual({
      files: [
        { path: '/srv/dns/named.conf', by: '/srv/dns/named.conf', what: 'named.conf: the configuration named reads (-c)' },
        { path: '/srv/dns/bind.keys', by: '/srv/dns/named.conf', what: 'options.bindkeys-file', optional: true },
        { path: '/srv/dns/work/zones/example.test.db', by: '/srv/dns/named.conf', what: 'zone "example.test" file' },
        { path: '/srv/dns/dyn/dyn.test.db', by: '/srv/dns/named.conf', what: 'zone "dyn.test" file' },
      ],
      writable: [
        { path: '/srv/dns/work', by: '/srv/dns/named.conf', what: 'options.directory: working directory (managed keys, journals, dumps)' },
        { path: '/srv/dns/work/keys', by: '/srv/dns/named.conf', what: 'options.key-directory: named reads and writes DNSSEC keys there' },
        { path: '/srv/dns/managed', by: '/srv/dns/named.conf', what: 'options.managed-keys-directory: named reads and writes DNSSEC keys there' },
        { path: '/srv/dns/run', by: '/srv/dns/named.conf', what: 'options.pid-file: named creates its pid file there' },
        { path: '/srv/dns/stats', by: '/srv/dns/named.conf', what: 'options.statistics-file: named writes it on request' },
        { path: '/srv/dns/dyn', by: '/srv/dns/named.conf', what: 'zone "dyn.test" file: named writes the journal of dynamic updates (.jnl) beside it' },
        { path: '/srv/dns/dyn/dyn.test.db', by: '/srv/dns/named.conf', what: 'zone "dyn.test" file: named rewrites it with the dynamic updates' },
        { path: '/srv/dns/work/secondaries', by: '/srv/dns/named.conf', what: 'zone "copy.test" file: named writes the secondary copy it transfers' },
        { path: '/srv/dns/log', by: '/srv/dns/named.conf', what: 'logging channel "queries" file: named appends its log there' },
      ],
    });
  });

  it('follows includes inside blocks, plugins, TLS files and a zone key-directory', () => {
    write(
      '/etc/bind/named.conf',
      [
        'options { directory "/var/cache/bind"; pid-file none; session-keyfile none; lock-file none; };',
        'plugin query "filter-aaaa.so" { filter-aaaa-on-v4 yes; };',
        'tls local-tls { key-file "/etc/bind/tls/key.pem"; cert-file "tls/cert.pem"; };',
        'view "v" { include "/etc/bind/view-zones.conf"; plugin query "/opt/bind/filter-a.so"; };',
        '',
      ].join('\n'),
    );
    write('/etc/bind/view-zones.conf', 'zone "signed.test" { type primary; file "db.signed"; key-directory "keys/signed"; };\n');
    expect(followNamedConf(root, '/etc/bind/named.conf')).toEqual({
      files: [
        { path: '/etc/bind/named.conf', by: '/etc/bind/named.conf', what: 'named.conf: the configuration named reads (-c)' },
        { path: '/etc/bind/view-zones.conf', by: '/etc/bind/named.conf', what: 'include' },
        { path: '/var/cache/bind/db.signed', by: '/etc/bind/view-zones.conf', what: 'zone "signed.test" file' },
        { path: '/usr/lib/x86_64-linux-gnu/bind/filter-aaaa.so', by: '/etc/bind/named.conf', what: 'plugin: named loads it with dlopen when it reads the config', loaded: true },
        { path: '/opt/bind/filter-a.so', by: '/etc/bind/named.conf', what: 'plugin: named loads it with dlopen when it reads the config', loaded: true },
        { path: '/etc/bind/tls/key.pem', by: '/etc/bind/named.conf', what: 'tls "local-tls" key-file', private: true },
        { path: '/var/cache/bind/tls/cert.pem', by: '/etc/bind/named.conf', what: 'tls "local-tls" cert-file' },
      ],
      writable: [
        { path: '/var/cache/bind', by: '/etc/bind/named.conf', what: 'options.directory: working directory (managed keys, journals, dumps)' },
        { path: '/var/cache/bind/keys/signed', by: '/etc/bind/view-zones.conf', what: 'zone "signed.test" key-directory: named reads and writes its DNSSEC keys there' },
      ],
    });
  });

  it('reads includes through symlinks inside the root and never outside it', () => {
    write('/etc/bind/real.conf', 'zone "a.test" { type master; file "/etc/bind/db.a"; };\n');
    symlinkSync('/etc/bind/real.conf', join(root, 'etc/bind/link.conf'));
    write('/etc/bind/named.conf', 'include "/etc/bind/link.conf";\n');
    expect(followNamedConf(root, '/etc/bind/named.conf').files.map((f) => f.path)).toEqual([
      '/etc/bind/named.conf',
      '/etc/bind/link.conf',
      '/etc/bind/db.a',
    ]);
  });

  it('names the including file when an include is missing', () => {
    write('/etc/bind/named.conf', 'options { directory "/var/cache/bind"; };\ninclude "/etc/bind/absent.conf";\n');
    expect(errorOf(() => followNamedConf(root, '/etc/bind/named.conf'))).toEqual({
      message: "Can't read named.conf at /etc/bind/absent.conf: no such file (included by /etc/bind/named.conf)",
      hint: 'fix the path, or pass the right config with --set config=PATH',
      exitCode: 2,
    });
  });

  it('refuses an include loop, a relative include and broken syntax with the file and line', () => {
    write('/a.conf', 'include "/b.conf";\n');
    write('/b.conf', '\ninclude "/a.conf";\n');
    expect(errorOf(() => followNamedConf(root, '/a.conf')).message).toBe("Can't parse named.conf at /a.conf: include loop (/a.conf -> /b.conf -> /a.conf)");
    write('/rel.conf', '\n\ninclude "local.conf";\n');
    expect(errorOf(() => followNamedConf(root, '/rel.conf'))).toEqual({
      message:
        'Can\'t parse named.conf at /rel.conf:3: relative include "local.conf" (named resolves it against a working directory that differs between start and reload)',
      hint: 'write the include with an absolute path',
      exitCode: 2,
    });
    write('/semi.conf', 'options {\n directory "/x"\n};\n');
    expect(errorOf(() => followNamedConf(root, '/semi.conf')).message).toBe("Can't parse named.conf at /semi.conf:3: missing ';' before '}'");
    write('/open.conf', 'options {\n directory "/x";\n');
    expect(errorOf(() => followNamedConf(root, '/open.conf')).message).toBe("Can't parse named.conf at /open.conf:2: missing '}' at end of file");
    write('/quote.conf', 'options { directory "/x; };\n');
    expect(errorOf(() => followNamedConf(root, '/quote.conf')).message).toBe("Can't parse named.conf at /quote.conf:1: unterminated string");
  });

  it('refuses a working directory of / rather than make the jail root writable', () => {
    write('/named.conf', 'options { directory "/"; };\n');
    expect(errorOf(() => followNamedConf(root, '/named.conf')).message).toBe(
      "Can't parse named.conf at /named.conf: options.directory: working directory (managed keys, journals, dumps) would make / writable",
    );
  });
});

describe("named's default trust anchors, /etc/bind/bind.keys", () => {
  it('come in when the root has them and named.conf names no bindkeys-file, with or without an options block', () => {
    write('/etc/bind/bind.keys', 'trust-anchors { };\n');
    for (const text of ['options { directory "/var/cache/bind"; };\n', 'zone "a.test" { type primary; file "/etc/bind/db.a"; };\n']) {
      write('/etc/bind/named.conf', text);
      expect(followNamedConf(root, '/etc/bind/named.conf').files).toContainEqual({
        path: '/etc/bind/bind.keys',
        by: '/etc/bind/named.conf',
        what: 'options.bindkeys-file (default /etc/bind/bind.keys): named reads the root trust anchors there at start',
      });
    }
  });

  it('stay out when the root lacks them (named uses the same keys built in), and a bindkeys-file replaces them', () => {
    write('/etc/bind/named.conf', 'options { directory "/var/cache/bind"; };\n');
    const without = followNamedConf(root, '/etc/bind/named.conf');
    expect(without.files.map((f) => f.path)).toEqual(['/etc/bind/named.conf']);
    expect(without.warnings ?? []).toEqual([]);
    write('/etc/bind/bind.keys', 'trust-anchors { };\n');
    write('/etc/bind/named.conf', 'options { bindkeys-file "/srv/keys"; };\n');
    expect(followNamedConf(root, '/etc/bind/named.conf').files.map((f) => f.path)).toEqual(['/etc/bind/named.conf', '/srv/keys']);
  });
});

const hostBind = prerequisites({ commands: ['named'], packages: 'bind9' });

describe.skipIf(!hostBind)("the named.conf follower on the host's stock BIND config", () => {
  it("finds the stock localhost zone file and named's working directory", () => {
    const result = followNamedConf('/', '/etc/bind/named.conf');
    expect(result.files).toContainEqual({ path: '/etc/bind/db.local', by: '/etc/bind/named.conf.default-zones', what: 'zone "localhost" file' });
    expect(result.writable.map((w) => w.path)).toEqual(['/var/cache/bind', '/run/named']);
    // bind9 installs the trust anchors named reads at start: they come in with the stock config.
    expect(result.files).toContainEqual(expect.objectContaining({ path: '/etc/bind/bind.keys', by: '/etc/bind/named.conf.options' }));
  });
});

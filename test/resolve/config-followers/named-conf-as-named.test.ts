// The named.conf follower on configurations modelled on BIND's own system tests: each one is first
// accepted by the host's named-checkconf -z (chrooted into the scratch root, so it reads exactly the
// files the follower reads), then followed.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MkjailError } from '../../../src/errors.js';
import { MAX_BLOCK_DEPTH } from '../../../src/resolve/config-followers/named-conf-syntax.js';
import { followNamedConf } from '../../../src/resolve/config-followers/named-conf.js';
import { includedNames } from '../../../src/resolve/config-followers/named-conf-zone-file.js';
import { prerequisites } from '../../helpers/prereq.js';

const checkconf = prerequisites({ root: true, commands: ['named-checkconf', 'dnssec-keygen'], packages: 'bind9 bind9-utils' });

let root: string;

function write(path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  chmodSync(join(root, path), mode);
}

function zone(origin: string, extra = ''): string {
  return `$TTL 300\n@ IN SOA ns.${origin}. hostmaster.${origin}. 1 3600 600 86400 300\n@ IN NS ns.${origin}.\nns IN A 192.0.2.1\n${extra}`;
}

/** named-checkconf -z, chrooted into the scratch root: the config is valid for named as written. */
function namedAccepts(config: string): void {
  try {
    execFileSync('named-checkconf', ['-z', '-t', root, config], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`named-checkconf -z refused ${config}: ${String(stdout)}${String(stderr)}`);
  }
}

function errorOf(run: () => unknown): { message: string; exitCode: number } {
  try {
    run();
  } catch (error) {
    if (error instanceof MkjailError) return { message: error.message, exitCode: error.exitCode };
    throw error;
  }
  throw new Error('expected a MkjailError');
}

function paths(list: Array<{ path: string }>): string[] {
  return list.map((f) => f.path);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mkjail-named-real-'));
  chmodSync(root, 0o755);
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!checkconf)('the named.conf follower reads configs as named does', () => {
  it('expands an include pattern, lets an included file close its includer\'s block, and keeps backslashes in names', () => {
    write('/etc/bind/named.conf', [
      'options {',
      '  directory "/var/cache/bind/";', // a trailing slash, as named accepts it
      '  include "/etc/bind/options.d/*.conf";', // the last match closes options
      'zone "e.test" { type primary; file "/etc/bind/zones/db\\.e"; };',
      'include "/etc/bind/zones.d/*.conf";',
      '',
    ].join('\n'));
    write('/etc/bind/options.d/10-close.conf', '  listen-on port 5399 { 127.0.0.1; };\n};\n');
    write('/etc/bind/options.d/20-pid.conf', '  pid-file "/run/named/named.pid";\n');
    write('/etc/bind/zones.d/a.conf', 'zone "a.test" { type primary; file "/etc/bind/zones/db.a"; };\n');
    write('/etc/bind/zones.d/b.conf', 'zone "b.test" { type primary; file "/etc/bind/zones/db.b"; };\n');
    write('/etc/bind/zones.d/.hidden.conf', 'this is not read;\n');
    write('/etc/bind/zones/db\\.e', zone('e.test'));
    write('/etc/bind/zones/db.a', zone('a.test'));
    write('/etc/bind/zones/db.b', zone('b.test'));
    mkdirSync(join(root, 'var/cache/bind'), { recursive: true });
    namedAccepts('/etc/bind/named.conf');
    const result = followNamedConf(root, '/etc/bind/named.conf');
    // named pushes every match on its lexer's stack, so it reads the last one first.
    expect(paths(result.files)).toEqual([
      '/etc/bind/named.conf',
      '/etc/bind/options.d/20-pid.conf',
      '/etc/bind/options.d/10-close.conf',
      '/etc/bind/zones.d/b.conf',
      '/etc/bind/zones.d/a.conf',
      '/etc/bind/zones/db\\.e',
      '/etc/bind/zones/db.b',
      '/etc/bind/zones/db.a',
    ]);
    expect(paths(result.writable)).toEqual(['/var/cache/bind', '/run/named']);
  });

  it('follows $INCLUDE in zone files, absolute and relative to the working directory, nested', () => {
    write('/etc/named.conf', 'options { directory "/srv/dns"; pid-file none; };\nzone "inc.test" { type primary; file "db.inc"; };\n');
    write('/srv/dns/db.inc', `${zone('inc.test')}$INCLUDE "/srv/dns/parts/hosts.inc"\n$include parts/more.inc sub ; a comment\n`);
    write('/srv/dns/parts/hosts.inc', 'www IN A 192.0.2.80\n$INCLUDE parts/nested.inc\n');
    write('/srv/dns/parts/more.inc', 'mail IN A 192.0.2.25\n');
    write('/srv/dns/parts/nested.inc', 'ftp IN A 192.0.2.21\n');
    namedAccepts('/etc/named.conf');
    const result = followNamedConf(root, '/etc/named.conf');
    expect(result.files.filter((f) => f.what.includes('$INCLUDE'))).toEqual([
      { path: '/srv/dns/parts/hosts.inc', by: '/srv/dns/db.inc', what: 'zone "inc.test" $INCLUDE' },
      { path: '/srv/dns/parts/nested.inc', by: '/srv/dns/parts/hosts.inc', what: 'zone "inc.test" $INCLUDE' },
      { path: '/srv/dns/parts/more.inc', by: '/srv/dns/db.inc', what: 'zone "inc.test" $INCLUDE' },
    ]);
    expect(includedNames('$INCLUDE "a \\"q\\".inc"\n  $INCLUDE not-at-line-start\n')).toEqual(['a "q".inc']);
  });

  it('inherits allow-update, key-directory and dnssec-policy from options and views, and brings the state named left', () => {
    write('/etc/named.conf', [
      'options { directory "/var/cache/bind"; pid-file none; allow-update { 127.0.0.1; }; ixfr-from-differences yes; };',
      'key "upd" { algorithm hmac-sha256; secret "c2VjcmV0c2VjcmV0c2VjcmV0"; };',
      'view "inside" {',
      '  match-clients { any; };',
      '  key-directory "/var/lib/bind/keys";',
      '  dnssec-policy default;',
      '  zone "dyn.test" { type primary; file "/var/lib/bind/dyn/db.dyn"; dnssec-policy none; };',
      '  zone "signed.test" { type primary; file "/var/lib/bind/signed/db.signed"; inline-signing yes; allow-update { none; }; };',
      '  zone "static.test" { type primary; file "/var/lib/bind/static/db.static"; allow-update { none; }; dnssec-policy none; };',
      '};',
      '',
    ].join('\n'));
    write('/var/lib/bind/dyn/db.dyn', zone('dyn.test'));
    write('/var/lib/bind/signed/db.signed', zone('signed.test'));
    write('/var/lib/bind/static/db.static', zone('static.test'));
    mkdirSync(join(root, 'var/cache/bind'), { recursive: true });
    mkdirSync(join(root, 'var/lib/bind/keys'), { recursive: true });
    execFileSync('dnssec-keygen', ['-q', '-K', join(root, 'var/lib/bind/keys'), '-a', 'ECDSAP256SHA256', '-f', 'KSK', 'signed.test']);
    execFileSync('dnssec-keygen', ['-q', '-K', join(root, 'var/lib/bind/keys'), '-a', 'ECDSAP256SHA256', 'other.test']);
    write('/var/lib/bind/dyn/db.dyn.jnl', 'journal bytes');
    write('/var/lib/bind/signed/db.signed.signed', 'signed copy');
    namedAccepts('/etc/named.conf');
    const result = followNamedConf(root, '/etc/named.conf');
    expect(result.writable.map((w) => `${w.path}: ${w.what}`)).toEqual([
      '/var/cache/bind: options.directory: working directory (managed keys, journals, dumps)',
      '/run/named: options.session-keyfile (default /run/named/session.key): named creates the session key for nsupdate -l there',
      '/var/lib/bind/keys: view key-directory: named reads and writes DNSSEC keys there',
      '/var/lib/bind/dyn: zone "dyn.test" file: named writes the journal of dynamic updates (.jnl) beside it',
      '/var/lib/bind/dyn/db.dyn: zone "dyn.test" file: named rewrites it with the dynamic updates',
      '/var/lib/bind/signed: zone "signed.test" file: ixfr-from-differences: named writes the journal of differences (.jnl) beside it',
      '/var/lib/bind/static: zone "static.test" file: ixfr-from-differences: named writes the journal of differences (.jnl) beside it',
    ]);
    const state = result.files.filter((f) => f.state).map((f) => `${f.path.replace(/\+\d+\+\d+/, '+ALG+TAG')} ${f.state}`);
    expect(state).toEqual([
      '/var/lib/bind/dyn/db.dyn.jnl written',
      '/var/lib/bind/signed/db.signed.signed written',
      '/var/lib/bind/keys/Ksigned.test.+ALG+TAG.key read',
      '/var/lib/bind/keys/Ksigned.test.+ALG+TAG.private read',
    ]);
  });

  it('brings plugins, DLZ and dyndb libraries (with their closure), GeoIP databases, and writes new, catalog and dnstap directories', () => {
    write('/etc/named.conf', [
      'options {',
      '  directory "/var/cache/bind"; pid-file none;',
      '  geoip-directory "/srv/geoip";',
      '  dnstap { client; }; dnstap-output file "/var/log/named/dnstap.log";',
      '  allow-new-zones yes; new-zones-directory "/var/lib/bind/new";',
      '  catalog-zones { zone "catalog.test" default-primaries { 192.0.2.1; } zone-directory "/var/lib/bind/catz" in-memory no; };',
      '};',
      'plugin query "filter-aaaa.so" { filter-aaaa-on-v4 yes; };',
      'dlz "example" { database "dlopen /usr/lib/bind/dlz_example.so example.test"; };',
      'dyndb "sample" "/usr/lib/bind/sample.so" { example.test; };',
      'zone "catalog.test" { type secondary; file "/var/lib/bind/db.catalog"; primaries { 192.0.2.1; }; };',
      '',
    ].join('\n'));
    for (const dir of ['var/cache/bind', 'var/lib/bind/new', 'var/lib/bind/catz', 'var/log/named']) mkdirSync(join(root, dir), { recursive: true });
    write('/srv/geoip/GeoLite2-Country.mmdb', 'not a real database');
    write('/srv/geoip/unrelated.mmdb', 'named never opens it');
    write('/var/lib/bind/new/_default.nzd', 'lmdb');
    // named-checkconf loads the plugin (from inside the root it is chrooted into) to check its parameters.
    write('/usr/lib/x86_64-linux-gnu/bind/filter-aaaa.so', '');
    copyFileSync('/usr/lib/x86_64-linux-gnu/bind/filter-aaaa.so', join(root, 'usr/lib/x86_64-linux-gnu/bind/filter-aaaa.so'));
    namedAccepts('/etc/named.conf');
    const result = followNamedConf(root, '/etc/named.conf');
    expect(result.files.filter((f) => f.loaded).map((f) => f.path)).toEqual([
      '/usr/lib/x86_64-linux-gnu/bind/filter-aaaa.so',
      '/usr/lib/bind/dlz_example.so',
      '/usr/lib/bind/sample.so',
    ]);
    expect(paths(result.files)).toContain('/srv/geoip/GeoLite2-Country.mmdb');
    expect(paths(result.files)).not.toContain('/srv/geoip/unrelated.mmdb');
    expect(result.files.find((f) => f.path === '/var/lib/bind/new/_default.nzd')?.state).toBe('written');
    expect(paths(result.writable)).toEqual(['/var/cache/bind', '/run/named', '/var/log/named', '/var/lib/bind/new', '/var/lib/bind/catz', '/var/lib/bind']);
  });

  it('reads the GSS-TSIG keytab and the TLS private key as secrets, the certificate as a plain file', () => {
    write('/etc/bind/named.conf', [
      'options { directory "/var/cache/bind"; pid-file none; tkey-gssapi-keytab "/etc/bind/dns.keytab"; };',
      'tls local { key-file "/etc/bind/tls/key.pem"; cert-file "/etc/bind/tls/cert.pem"; };',
      '',
    ].join('\n'));
    mkdirSync(join(root, 'var/cache/bind'), { recursive: true });
    namedAccepts('/etc/bind/named.conf');
    const result = followNamedConf(root, '/etc/bind/named.conf');
    expect(result.files.filter((f) => f.path !== '/etc/bind/named.conf')).toEqual([
      { path: '/etc/bind/dns.keytab', by: '/etc/bind/named.conf', what: 'options.tkey-gssapi-keytab: the Kerberos keytab named reads for GSS-TSIG', private: true, optional: true },
      { path: '/etc/bind/tls/key.pem', by: '/etc/bind/named.conf', what: 'tls "local" key-file', private: true },
      { path: '/etc/bind/tls/cert.pem', by: '/etc/bind/named.conf', what: 'tls "local" cert-file' },
    ]);
  });

  it('refuses a writable directory that holds the configuration, in one line', () => {
    write('/etc/bind/named.conf', 'options { directory "/var/cache/bind"; pid-file none; };\ninclude "/etc/bind/local.conf";\n');
    write('/etc/bind/local.conf', 'zone "dyn.test" { type primary; file "/etc/bind/db.dyn"; update-policy local; };\n');
    write('/etc/bind/db.dyn', zone('dyn.test'));
    mkdirSync(join(root, 'var/cache/bind'), { recursive: true });
    namedAccepts('/etc/bind/named.conf');
    expect(errorOf(() => followNamedConf(root, '/etc/bind/named.conf'))).toEqual({
      message:
        "Can't parse named.conf at /etc/bind/local.conf: /etc/bind must be writable (zone \"dyn.test\" file: named writes the journal of dynamic updates (.jnl) beside it) but holds /etc/bind/named.conf (named.conf: the configuration named reads (-c)), which named could then replace",
      exitCode: 2,
    });
  });
});

describe('the named.conf follower refuses in one line what it cannot follow', () => {
  it('a relative directory, an include pattern that matches nothing, a dnstap socket, blocks nested too deep', () => {
    write('/rel.conf', 'options {\n  directory "cache";\n};\n');
    expect(errorOf(() => followNamedConf(root, '/rel.conf'))).toEqual({
      message: 'Can\'t parse named.conf at /rel.conf:2: relative directory "cache" (named takes it relative to the directory it is in when it reads the config, another one after every reload)',
      exitCode: 2,
    });
    write('/glob.conf', 'include "/zones.d/*.conf";\n');
    expect(errorOf(() => followNamedConf(root, '/glob.conf')).message).toBe("Can't read named.conf at /zones.d/*.conf: no file matches the pattern (included by /glob.conf)");
    write('/tap.conf', 'options { directory "/d"; dnstap-output unix "/run/dnstap.sock"; };\n');
    expect(errorOf(() => followNamedConf(root, '/tap.conf')).message).toMatch(/^Can't parse named.conf at \/tap.conf:1: dnstap-output unix names a socket/);
    write('/deep.conf', `acl deep { ${'{ '.repeat(100_000)}`);
    expect(errorOf(() => followNamedConf(root, '/deep.conf'))).toEqual({ message: `Can't parse named.conf at /deep.conf:1: blocks nested deeper than ${MAX_BLOCK_DEPTH}`, exitCode: 2 });
  });

  it('normalises a directory written with // and a trailing slash', () => {
    write('/n.conf', 'options { directory "//srv//dns/"; pid-file none; session-keyfile none; lock-file none; };\nzone "x" { type primary; file "db.x"; };\n');
    expect(followNamedConf(root, '/n.conf')).toMatchObject({
      files: [{ path: '/n.conf' }, { path: '/srv/dns/db.x' }],
      writable: [{ path: '/srv/dns' }],
    });
  });
});

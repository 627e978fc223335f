// named from a named.conf written the odd ways named accepts, run by the real named in its jail: a
// `directory` with `//` and a trailing slash, a zone `file "db\.e"` (the backslash is part of the name)
// relative to it, `options` closed by a file an include glob brings in (named reads the matches last
// first), a zone from another glob, the filter-aaaa plugin (named dlopens it after its chroot) and a
// dnstap log file. Each must work in the jail as on the host: named-checkconf -z accepts the config,
// and the jailed named answers, filters AAAA and writes its dnstap log inside the jail.
// Needs root, named, named-checkconf, dig.
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { buildBindJailFrom, dig, freeDnsPort, type Running, startInBackground, waitForAnswer } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['named', 'named-checkconf', 'dig'], packages: 'bind9 bind9-utils bind9-dnsutils' });
const PLUGIN = '/usr/lib/x86_64-linux-gnu/bind/filter-aaaa.so';

function zone(extra: string): string {
  return `$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 192.0.2.1\n${extra}`;
}

describe.skipIf(!ok)('named from a named.conf written the odd ways named accepts', () => {
  const scratch = ok ? makeScratch('bind-odd-') : '';
  let jail: BuiltJail;
  let port: number;
  let running: Running | undefined;

  beforeAll(async () => {
    port = await freeDnsPort();
    for (const dir of ['etc/options.d', 'etc/zones.d', 'cache', 'run', 'tap', 'zones']) mkdirSync(join(scratch, dir), { recursive: true, mode: 0o755 });
    const files: Record<string, string> = {
      'etc/named.conf': [
        'options {',
        `  directory "${scratch}//cache/";`,
        `  include "${scratch}/etc/options.d/*.conf";`, // 10-close.conf, read last, closes options
        'controls { };',
        'plugin query "filter-aaaa.so" { filter-aaaa-on-v4 yes; };',
        'zone "e.test" { type primary; file "db\\.e"; };',
        `include "${scratch}/etc/zones.d/*.conf";`,
        '',
      ].join('\n'),
      'etc/options.d/10-close.conf': [
        `  pid-file "${scratch}/run/named.pid"; session-keyfile "${scratch}/run/session.key"; lock-file "${scratch}/run/named.lock";`,
        '  dnstap { auth; };',
        `  dnstap-output file "${scratch}/tap/named.tap";`,
        '};',
        '',
      ].join('\n'),
      'etc/options.d/30-net.conf': `  listen-on port ${port} { 127.0.0.1; };\n  listen-on-v6 { none; };\n  recursion no;\n  dnssec-validation no;\n  notify no;\n`,
      'etc/zones.d/g.conf': `zone "g.test" { type primary; file "${scratch}/zones/db.g"; };\n`,
      'cache/db\\.e': zone('www IN A 192.0.2.5\nwww IN AAAA 2001:db8::5\n'),
      'zones/db.g': zone('www IN A 192.0.2.7\n'),
    };
    for (const [path, text] of Object.entries(files)) writeFileSync(join(scratch, path), text, { mode: 0o644 });
    jail = await buildBindJailFrom(scratch, join(scratch, 'etc/named.conf'), ['cache', 'run', 'tap']);
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    jail?.cleanup();
    if (scratch) removeScratch(scratch);
  });

  it('brings in what named reads: the db\\.e file below the normalised directory, every glob match, the plugin', () => {
    const paths = jail.manifest.entries.map((e) => e.path);
    for (const path of ['cache/db\\.e', 'etc/options.d/10-close.conf', 'etc/options.d/30-net.conf', 'etc/zones.d/g.conf', 'zones/db.g']) expect(paths).toContain(join(scratch, path));
    expect(paths).toContain(PLUGIN);
    expect(jail.manifest.writable.map((w) => w.path)).toEqual(expect.arrayContaining([join(scratch, 'cache'), join(scratch, 'run'), join(scratch, 'tap')]));
    expect(paths.some((p) => p.includes('//') || (p.endsWith('/') && p !== '/'))).toBe(false);
  });

  it('answers in the jail as on the host: both zones, AAAA filtered by the plugin, a dnstap log in the jail', async () => {
    running = startInBackground(join(jail.dir, 'launch'), [], 'ignore');
    await waitForAnswer('www.e.test', port, '192.0.2.5', running);
    expect(await dig('www.g.test', port)).toBe('192.0.2.7');
    // filter-aaaa-on-v4: a client over IPv4 gets no AAAA (the zone has one): the plugin is loaded.
    expect(await dig('www.e.test', port, 'AAAA')).toBe('');
    await running.stop();
    running = undefined;
    expect(statSync(join(jail.root, scratch, 'tap/named.tap')).size).toBeGreaterThan(0);
    expect(readdirSync(join(scratch, 'tap'))).toEqual([]);
  });
});

// Catalog zones: the jailed named is a secondary of a catalog zone, and named adds the member zones
// the catalog lists by itself, transferring each into the catalog's zone-directory, which it must be
// able to write in its jail. The primary is a plain named on the host, on a port of its own. Run by the
// real named: the jailed one answers from the member zone it was never configured with, and its copy
// lies in zone-directory inside the jail. Needs root, named, named-checkconf, dig.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { buildBindJailFrom, freeDnsPort, kernelPickedPort, type Running, scratchOptions, startInBackground, waitForAnswer } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['named', 'named-checkconf', 'dig'], packages: 'bind9 bind9-utils bind9-dnsutils' });

const SOA = '$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 192.0.2.1\n';

describe.skipIf(!ok)('a catalog zone served to the jailed named', () => {
  const scratch = ok ? makeScratch('bind-catz-') : '';
  let jail: BuiltJail;
  let port: number;
  let primaryPort: number;
  let primary: Running | undefined;
  let running: Running | undefined;

  beforeAll(async () => {
    port = await freeDnsPort();
    // The primary on a port the kernel picks: the DNS port's neighbour may be another test's named.
    primaryPort = await kernelPickedPort(true);
    for (const dir of ['primary/run', 'primary/cache', 'etc', 'cache', 'run', 'secondaries', 'catz']) mkdirSync(join(scratch, dir), { recursive: true, mode: 0o755 });
    // The primary on the host: a version 2 catalog that lists member.test, and member.test itself.
    writeFileSync(join(scratch, 'primary/named.conf'), [
      `options {\n${scratchOptions(join(scratch, 'primary'), primaryPort)}\n  allow-transfer { 127.0.0.1; };\n};`,
      'controls { };',
      `zone "catalog.test" { type primary; file "${scratch}/primary/db.catalog"; };`,
      `zone "member.test" { type primary; file "${scratch}/primary/db.member"; };`,
      '',
    ].join('\n'));
    writeFileSync(join(scratch, 'primary/db.catalog'), '$TTL 300\n@ IN SOA . . 1 3600 600 86400 300\n@ IN NS invalid.\nversion IN TXT "2"\nm1.zones IN PTR member.test.\n');
    writeFileSync(join(scratch, 'primary/db.member'), `${SOA}www IN A 192.0.2.90\n`);
    // The jailed named: secondary of the catalog, member zones transferred into catz/.
    writeFileSync(join(scratch, 'etc/named.conf'), [
      'options {',
      scratchOptions(scratch, port),
      `  catalog-zones { zone "catalog.test" default-primaries { 127.0.0.1 port ${primaryPort}; } zone-directory "${scratch}/catz"; };`,
      '};',
      'controls { };',
      `zone "catalog.test" { type secondary; primaries { 127.0.0.1 port ${primaryPort}; }; file "${scratch}/secondaries/db.catalog"; };`,
      '',
    ].join('\n'));
    for (const dir of ['primary/run', 'primary/cache', 'cache', 'run', 'secondaries', 'catz']) execFileSync('chown', ['bind:bind', join(scratch, dir)]);
    for (const conf of ['primary/named.conf', 'etc/named.conf']) execFileSync('named-checkconf', ['-z', join(scratch, conf)], { stdio: 'pipe' });
    primary = startInBackground('named', ['-g', '-n', '1', '-u', 'bind', '-c', join(scratch, 'primary/named.conf')], 'ignore');
    await waitForAnswer('www.member.test', primaryPort, '192.0.2.90', primary);
    jail = await buildBindJailFrom(scratch, join(scratch, 'etc/named.conf'), []);
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    await primary?.stop();
    jail?.cleanup();
    if (scratch) removeScratch(scratch);
  });

  it('makes zone-directory writable to named', () => {
    expect(jail.manifest.writable.map((w) => w.path)).toEqual(expect.arrayContaining([join(scratch, 'catz'), join(scratch, 'secondaries')]));
  });

  it('answers from the member zone the catalog lists, and keeps its copy in zone-directory inside the jail', async () => {
    running = startInBackground(join(jail.dir, 'launch'), [], 'ignore');
    await waitForAnswer('www.member.test', port, '192.0.2.90', running);
    // named writes the copy after the transfer: wait for it briefly.
    let copies: string[] = [];
    for (let i = 0; i < 40 && copies.length === 0; i++) {
      copies = readdirSync(join(jail.root, scratch, 'catz')).filter((n) => n.endsWith('.db'));
      if (copies.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(copies).toHaveLength(1);
    expect(readdirSync(join(scratch, 'catz'))).toEqual([]);
  });
});

// GeoIP ACLs in the jail: named opens the databases of geoip-directory at start, after its chroot, so a
// jail without them answers a `geoip country` ACL as no match (REFUSED). The database is written here in
// the MaxMind DB format (a one-node IPv4 search tree that sends every address to one record,
// {country: {iso_code: "ZZ"}}, then the metadata), small enough to read whole. Run by the real named:
// on the host first (the database is what named reads), then in its jail. Needs root, named,
// named-checkconf, dig.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltJail } from '../helpers/build-jail.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { buildBindJailFrom, freeDnsPort, type Running, scratchOptions, startInBackground, waitForAnswer } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['named', 'named-checkconf', 'dig'], packages: 'bind9 bind9-utils bind9-dnsutils' });

/** MaxMind DB data types (the spec's numbers): extended ones (above 7) take a second byte. */
const TYPE = { utf8: 2, uint16: 5, uint32: 6, map: 7, uint64: 9, array: 11 } as const;

function control(type: number, size: number): Buffer {
  if (size >= 29) throw new Error('sizes of 29 and more are not needed here');
  return type <= 7 ? Buffer.from([(type << 5) | size]) : Buffer.from([size, type - 7]);
}
const utf8 = (text: string) => Buffer.concat([control(TYPE.utf8, Buffer.byteLength(text)), Buffer.from(text)]);
function uint(type: number, value: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}
const map = (entries: Record<string, Buffer>) => Buffer.concat([control(TYPE.map, Object.keys(entries).length), ...Object.entries(entries).flatMap(([k, v]) => [utf8(k), v])]);
const array = (items: Buffer[]) => Buffer.concat([control(TYPE.array, items.length), ...items]);

/** A GeoLite2-Country database that places every IPv4 address in country `iso`. */
function countryDatabase(iso: string): Buffer {
  const nodeCount = 1;
  // A record past the node count points into the data section: node count + 16 + offset.
  const record = nodeCount + 16;
  const node = Buffer.from([record >> 16, (record >> 8) & 0xff, record & 0xff, record >> 16, (record >> 8) & 0xff, record & 0xff]);
  const data = map({ country: map({ iso_code: utf8(iso) }) });
  const metadata = map({
    node_count: uint(TYPE.uint32, nodeCount),
    record_size: uint(TYPE.uint16, 24),
    ip_version: uint(TYPE.uint16, 4),
    database_type: utf8('GeoLite2-Country'),
    languages: array([utf8('en')]),
    binary_format_major_version: uint(TYPE.uint16, 2),
    binary_format_minor_version: uint(TYPE.uint16, 0),
    build_epoch: uint(TYPE.uint64, 1_700_000_000),
    description: map({ en: utf8('mkjail test') }),
  });
  return Buffer.concat([node, Buffer.alloc(16), data, Buffer.from('abcdef', 'hex'), Buffer.from('MaxMind.com'), metadata]);
}

/** The status dig reports for `name` (NOERROR, REFUSED...). */
function status(name: string, port: number): string {
  const out = execFileSync('dig', ['@127.0.0.1', '-p', String(port), '+time=1', '+tries=2', name, 'A'], { encoding: 'utf8' });
  return /status: (\w+)/.exec(out)?.[1] ?? out;
}

describe.skipIf(!ok)('geoip ACLs answered from the databases of geoip-directory, in the jail', () => {
  const scratch = ok ? makeScratch('bind-geoip-') : '';
  const config = join(scratch, 'etc/named.conf');
  let jail: BuiltJail;
  let port: number;
  let running: Running | undefined;

  beforeAll(async () => {
    port = await freeDnsPort();
    for (const dir of ['etc', 'geo', 'cache', 'run', 'zones']) mkdirSync(join(scratch, dir), { recursive: true, mode: 0o755 });
    writeFileSync(join(scratch, 'geo/GeoLite2-Country.mmdb'), countryDatabase('ZZ'));
    writeFileSync(join(scratch, 'geo/unrelated.mmdb'), 'named never opens it');
    writeFileSync(join(scratch, 'zones/db.geo'), '$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n@ IN NS ns\nns IN A 192.0.2.1\nwww IN A 192.0.2.60\n');
    writeFileSync(config, [
      'options {',
      scratchOptions(scratch, port),
      `  geoip-directory "${scratch}/geo";`,
      '};',
      'controls { };',
      `zone "zz.test" { type primary; file "${scratch}/zones/db.geo"; allow-query { geoip country ZZ; }; };`,
      `zone "qq.test" { type primary; file "${scratch}/zones/db.geo"; allow-query { geoip country QQ; }; };`,
      '',
    ].join('\n'));
    for (const dir of ['cache', 'run']) execFileSync('chown', ['bind:bind', join(scratch, dir)]);
    execFileSync('named-checkconf', ['-z', config], { stdio: 'pipe' });
    // The database is one named reads: on the host, the ZZ zone answers and the QQ one refuses.
    const host = startInBackground('named', ['-g', '-n', '1', '-u', 'bind', '-c', config], 'ignore');
    try {
      await waitForAnswer('www.zz.test', port, '192.0.2.60', host);
      expect(status('www.qq.test', port)).toBe('REFUSED');
    } finally {
      await host.stop();
    }
    jail = await buildBindJailFrom(scratch, config, []);
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    jail?.cleanup();
    if (scratch) removeScratch(scratch);
  });

  it('holds the database named opens, and nothing else of the directory', () => {
    const paths = jail.manifest.entries.map((e) => e.path);
    expect(paths).toContain(join(scratch, 'geo/GeoLite2-Country.mmdb'));
    expect(paths).not.toContain(join(scratch, 'geo/unrelated.mmdb'));
  });

  it('answers the geoip ACL in the jail as on the host', async () => {
    running = startInBackground(join(jail.dir, 'launch'), [], 'ignore');
    await waitForAnswer('www.zz.test', port, '192.0.2.60', running);
    expect(status('www.qq.test', port)).toBe('REFUSED');
    expect(running.log()).toContain(`opened GeoIP2 database '${join(scratch, 'geo/GeoLite2-Country.mmdb')}'`);
  });
});

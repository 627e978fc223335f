// named from a production-shaped named.conf (fixtures/bind/real): zones pulled in by a glob include inside a
// view, $INCLUDE in a zone file (absolute and relative to options.directory), allow-update inherited from
// options, an inline-signed zone with a DNSSEC policy and the view's key-directory. named runs on the host
// first, as it did before the jail: it leaves a journal with an update and the zone's DNSSEC keys. The jail
// built afterwards must bring that state in: the jailed named answers the update made on the host, signs
// with the same keys (same key tags: the chain of trust holds), takes new updates, and serves every
// $INCLUDEd name. Needs root, named, dig, nsupdate.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { type Running, dig, freeDnsPort, nsupdateAdd, startInBackground, waitForAnswer } from './named-process.js';

const RECIPE = join(REPO_ROOT, 'recipes/bind.ts');
const FIXTURE = join(REPO_ROOT, 'fixtures/bind/real');
const ok = prerequisites({ root: true, commands: ['named', 'named-checkconf', 'dig', 'nsupdate'], packages: 'bind9 bind9-utils bind9-dnsutils' });

/** Where each fixture file goes below the scratch directory (the config at etc/named.conf). */
const LAYOUT: Record<string, string> = {
  'named.conf.in': 'etc/named.conf',
  'zones.d/10-static.conf.in': 'etc/zones.d/10-static.conf',
  'zones.d/20-dynamic.conf.in': 'etc/zones.d/20-dynamic.conf',
  'zones.d/30-signed.conf.in': 'etc/zones.d/30-signed.conf',
  'db.static.test': 'zones/db.static.test',
  'hosts.inc': 'zones/hosts.inc',
  'common.inc': 'cache/common.inc',
  'db.dyn.test': 'dynamic/db.dyn.test',
  'db.signed.test': 'signed/db.signed.test',
};

/** The key tags of the zone's DNSKEY records, sorted (`dig +short DNSKEY` prints no tag: ask with +multiline). */
async function keyTags(port: number, zone: string): Promise<string[]> {
  const out = execFileSync('dig', ['@127.0.0.1', '-p', String(port), '+multiline', '+time=1', '+tries=2', zone, 'DNSKEY'], { encoding: 'utf8' });
  return [...out.matchAll(/key id = (\d+)/g)].map((m) => m[1] as string).sort();
}

/** Waits until named has signed the zone (its DNSKEY set is there), at most ~30 s; returns the key tags. */
async function waitForKeys(port: number, zone: string, running: Running): Promise<string[]> {
  for (let i = 0; i < 120; i++) {
    const tags = await keyTags(port, zone);
    if (tags.length >= 2) return tags;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`named never published the DNSKEYs of ${zone}; its log:\n${running.log()}`);
}

/** True when the answer for `name` comes with an RRSIG (named serves the signed copy). */
function signedAnswer(port: number, name: string): boolean {
  const out = execFileSync('dig', ['@127.0.0.1', '-p', String(port), '+dnssec', '+time=1', '+tries=2', name, 'A'], { encoding: 'utf8' });
  return /\sRRSIG\s+A\s/.test(out);
}

describe.skipIf(!ok)('named from a production-shaped named.conf, after it ran on the host', () => {
  const scratch = ok ? makeScratch('bind-real-') : '';
  const config = join(scratch, 'etc/named.conf');
  let port: number;
  let jail: BuiltJail;
  let hostTags: string[];
  let running: Running | undefined;

  beforeAll(async () => {
    port = await freeDnsPort();
    for (const dir of ['etc/zones.d', 'zones', 'cache', 'dynamic', 'signed', 'keys', 'run']) mkdirSync(join(scratch, dir), { recursive: true, mode: 0o755 });
    for (const [from, to] of Object.entries(LAYOUT)) {
      const text = readFileSync(join(FIXTURE, from), 'utf8').replaceAll('@DIR@', scratch).replaceAll('@PORT@', String(port));
      writeFileSync(join(scratch, to), text, { mode: 0o644 });
    }
    // named's own directories are bind's on the host, as Debian's /var/cache/bind is.
    for (const dir of ['cache', 'dynamic', 'signed', 'keys', 'run']) execFileSync('chown', ['bind:bind', join(scratch, dir)]);
    execFileSync('named-checkconf', ['-z', config], { stdio: 'pipe' });
    // named as it ran before there was a jail (as bind, as Debian runs it): an update goes to the journal,
    // and named generates the signed zone's keys (0600 bind, as dnssec-keygen writes private keys).
    const host = startInBackground('named', ['-g', '-n', '1', '-u', 'bind', '-c', config], 'ignore');
    try {
      await waitForAnswer('www.static.test', port, '192.0.2.30', host);
      await nsupdateAdd(port, 'dyn.test', 'before.dyn.test', '192.0.2.50');
      expect(await dig('before.dyn.test', port)).toBe('192.0.2.50');
      hostTags = await waitForKeys(port, 'signed.test', host);
    } finally {
      await host.stop();
    }
    jail = await buildJail(RECIPE, { set: { config, mode: 'wrapper', low_ports: 'no' } });
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    jail?.cleanup();
    if (scratch) removeScratch(scratch);
  });

  it('found the host state named left: the journal, the keys, the signed copy', () => {
    expect(readdirSync(join(scratch, 'dynamic'))).toContain('db.dyn.test.jnl');
    const keys = readdirSync(join(scratch, 'keys')).filter((n) => n.startsWith('Ksigned.test.+'));
    expect(keys.filter((n) => n.endsWith('.private')).length).toBe(2);
    expect(existsSync(join(scratch, 'signed/db.signed.test.signed'))).toBe(true);
  });

  it('holds that state with the right owners: the journal and the key states bind 0600, private keys 0440 root:bind', () => {
    const entry = (path: string) => jail.manifest.entries.find((e) => e.path === join(scratch, path));
    const bind = Number(readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith('bind:'))?.split(':')[2]);
    expect(entry('dynamic/db.dyn.test.jnl')).toMatchObject({ type: 'file', uid: expect.any(Number), mode: '0600' });
    expect(entry('dynamic/db.dyn.test.jnl')?.uid).not.toBe(0);
    const keys = readdirSync(join(scratch, 'keys')).filter((n) => n.startsWith('Ksigned.test.+'));
    for (const name of keys.filter((n) => n.endsWith('.private'))) expect(entry(`keys/${name}`)).toMatchObject({ type: 'file', uid: 0, gid: bind, mode: '0440' });
    for (const name of keys.filter((n) => n.endsWith('.state'))) expect(entry(`keys/${name}`)).toMatchObject({ type: 'file', mode: '0600' });
    // The configuration stays root's, read-only, though named writes beside its zones.
    for (const path of ['etc/named.conf', 'etc/zones.d/20-dynamic.conf', 'zones/db.static.test', 'zones/hosts.inc']) expect(entry(path)).toMatchObject({ type: 'file', uid: 0, gid: 0, mode: '0444' });
    for (const dir of ['dynamic', 'signed', 'keys', 'cache']) expect(jail.manifest.writable.map((w) => w.path)).toContain(join(scratch, dir));
    expect(jail.manifest.writable.map((w) => w.path)).not.toContain(join(scratch, 'zones'));
  });

  it('answers in the jail as it did on the host: $INCLUDEd names, the host update from the journal, the same keys', async () => {
    running = startInBackground(join(jail.dir, 'launch'), [], 'ignore');
    await waitForAnswer('www.static.test', port, '192.0.2.30', running);
    expect(await dig('mail.static.test', port)).toBe('192.0.2.31');
    expect(await dig('before.dyn.test', port)).toBe('192.0.2.50');
    expect(await waitForKeys(port, 'signed.test', running)).toEqual(hostTags);
    expect(signedAnswer(port, 'www.signed.test')).toBe(true);
  });

  it('takes a new update in the jail, into the jail journal, leaving the host journal alone', async () => {
    const hostJournal = readFileSync(join(scratch, 'dynamic/db.dyn.test.jnl'));
    const jailJournal = join(jail.root, scratch, 'dynamic/db.dyn.test.jnl');
    const before = statSync(jailJournal).size;
    await nsupdateAdd(port, 'dyn.test', 'after.dyn.test', '192.0.2.51');
    expect(await dig('after.dyn.test', port)).toBe('192.0.2.51');
    expect(statSync(jailJournal).size).toBeGreaterThan(before);
    expect(readFileSync(join(scratch, 'dynamic/db.dyn.test.jnl'))).toEqual(hostJournal);
    await nsupdateAdd(port, 'signed.test', 'new.signed.test', '192.0.2.41');
    expect(await dig('new.signed.test', port)).toBe('192.0.2.41');
    expect(signedAnswer(port, 'new.signed.test')).toBe(true);
    await running?.stop();
    running = undefined;
  });

  it('still matches its manifest after named wrote its state', () => {
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
  });
});

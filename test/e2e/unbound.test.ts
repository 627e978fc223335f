// unbound in its jail, for real: recipes/unbound.ts built with a local zone on a free high port, started
// by DIR/launch under strace (unbound as `unbound` from the start, no capability), asked with dig. The
// trace is the check of what unbound opens at run time: its config and the files the follower found,
// the seeded trust anchor, its pid file; nothing else but the loader's probes for libraries.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeQuoted, parseStraceOutput } from '../../src/trace/strace-syntax.js';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { dig, freeDnsPort, procView, type Running, servicePid, startInBackground } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['unbound', 'dig', 'strace', 'getent', 'setpriv'], packages: 'unbound bind9-dnsutils strace' });

describe.skipIf(!ok)('unbound answering a local zone from its jail', () => {
  const scratch = ok ? makeScratch('unbound-e2e-') : '';
  const trace = join(scratch, 'trace');
  const local = join(scratch, 'local.conf');
  let port: number;
  let jail: BuiltJail;
  let unbound: Running | undefined;

  beforeAll(async () => {
    writeFileSync(local, 'local-zone: "example.test." static\nlocal-data: "www.example.test. A 192.0.2.80"\n');
    port = await freeDnsPort();
    jail = await buildJail(join(REPO_ROOT, 'recipes/unbound.ts'), { set: { port: String(port), local } });
    unbound = startInBackground('strace', ['-f', '-qq', '-e', 'trace=execve,open,openat,mkdir,rename,unlink', '-o', trace, join(jail.dir, 'launch')], 'ignore', [], { group: true });
    for (let i = 0; i < 80 && (await dig('www.example.test', port)) !== '192.0.2.80'; i++) await new Promise((r) => setTimeout(r, 250));
  });
  afterAll(async () => {
    await unbound?.stop();
    jail?.cleanup();
    removeScratch(scratch);
  });

  it('answers the local zone, and refuses what it does not hold', async () => {
    expect(await dig('www.example.test', port), unbound?.log()).toBe('192.0.2.80');
    expect(await dig('nothing.example.test', port)).toBe('');
  });

  it('runs as unbound, chrooted, with no capability', () => {
    // Its pid file in the jail holds its pid in its own PID namespace; the launcher's beside the jail the host's.
    expect(readFileSync(join(jail.root, 'run/unbound/unbound.pid'), 'utf8')).toMatch(/^\d+\n$/);
    const view = procView(servicePid(jail.dir, 'unbound'));
    const [uid, gid] = ['passwd', 'group'].map((db) => readFileSync(`/etc/${db}`, 'utf8').split('\n').find((l) => l.startsWith('unbound:'))?.split(':')[2]);
    expect({ root: view.root, Uid: view.status.Uid, Gid: view.status.Gid, CapEff: view.status.CapEff, NoNewPrivs: view.status.NoNewPrivs }).toEqual({
      root: jail.root,
      Uid: [uid, uid, uid, uid].join('\t'),
      Gid: [gid, gid, gid, gid].join('\t'),
      CapEff: '0000000000000000',
      NoNewPrivs: '1',
    });
  });

  it('opens only its config, what the follower found, the trust anchor and its pid file (strace)', async () => {
    await unbound?.stop();
    // mkjail trace's own parser: strace -f splits a call another process interrupts into two lines.
    const records = parseStraceOutput(readFileSync(trace, 'utf8'));
    const exec = records.find((r) => r.name === 'execve' && decodeQuoted(r.args[0] ?? '') === '/usr/sbin/unbound' && r.value === 0);
    // unbound's own calls, not the launcher's around it.
    const calls = records
      .filter((r) => r.pid === exec?.pid && r.order > (exec?.order ?? Infinity) && r.name !== 'execve')
      .map((r) => ({ call: r.name, path: decodeQuoted((r.name === 'openat' ? r.args[1] : r.args[0]) ?? '') ?? '', errno: r.errno }));
    const library = (path: string) => /\.so(\.[\d.]+)?$/.test(path) || path === '/etc/ld.so.cache';
    const succeeded = [...new Set(calls.filter((c) => !c.errno && !library(c.path)).map((c) => `${c.call} ${c.path}`))].sort();
    const failed = [...new Set(calls.filter((c) => c.errno && !library(c.path)).map((c) => `${c.call} ${c.path} ${c.errno}`))];
    expect(succeeded).toEqual(
      [
        'openat /etc/localtime',
        'openat /etc/unbound/unbound.conf',
        `openat ${local}`,
        'openat /run/unbound/unbound.pid',
        'openat /usr/lib/ssl/openssl.cnf',
        'openat /usr/share/dns/root.hints',
        'openat /var/lib/unbound/root.key',
        'unlink /run/unbound/unbound.pid',
      ].sort(),
    );
    expect(failed).toEqual([]);
  });
});

describe.skipIf(!ok)("unbound in self mode: it chroots into the jail and drops to unbound itself", () => {
  const scratch = ok ? makeScratch('unbound-self-') : '';
  const local = join(scratch, 'local.conf');
  let port: number;
  let jail: BuiltJail;
  let unbound: Running | undefined;

  beforeAll(async () => {
    writeFileSync(local, 'local-zone: "self.test." static\nlocal-data: "www.self.test. A 192.0.2.81"\n');
    port = await freeDnsPort();
    jail = await buildJail(join(REPO_ROOT, 'recipes/unbound.ts'), { set: { port: String(port), local, mode: 'self' } });
    unbound = startInBackground(join(jail.dir, 'launch'), [], 'ignore', [], { group: true });
    for (let i = 0; i < 80 && (await dig('www.self.test', port)) !== '192.0.2.81'; i++) await new Promise((r) => setTimeout(r, 250));
  });
  afterAll(async () => {
    await unbound?.stop();
    jail?.cleanup();
    removeScratch(scratch);
  });

  it('holds no binary and no library: config, hints, the anchor and the local data only', () => {
    const files = jail.manifest.entries.filter((e) => e.type === 'file').map((e) => e.path).sort();
    expect(files).toEqual(['/etc/group', '/etc/passwd', '/etc/unbound/unbound.conf', '/usr/share/dns/root.hints', '/var/lib/unbound/root.key', local].sort());
    expect(jail.manifest.run).toEqual({ argv: ['/usr/sbin/unbound', '-d', '-c', '{root}/etc/unbound/unbound.conf'], env: {}, chroot: 'self', capabilities: ['sys_chroot', 'setuid', 'setgid'] });
  });

  it('answers the local zone as unbound, chrooted into the jail, with no capability left', async () => {
    expect(await dig('www.self.test', port), unbound?.log()).toBe('192.0.2.81');
    const view = procView(servicePid(jail.dir, 'unbound'));
    const [uid, gid] = ['passwd', 'group'].map((db) => readFileSync(`/etc/${db}`, 'utf8').split('\n').find((l) => l.startsWith('unbound:'))?.split(':')[2]);
    expect({ exe: view.exe, root: view.root, Uid: view.status.Uid, Gid: view.status.Gid, CapEff: view.status.CapEff, CapPrm: view.status.CapPrm }).toEqual({
      exe: '/usr/sbin/unbound',
      root: jail.root,
      Uid: [uid, uid, uid, uid].join('\t'),
      Gid: [gid, gid, gid, gid].join('\t'),
      CapEff: '0000000000000000',
      CapPrm: '0000000000000000',
    });
  });
});

// BIND end to end, as root: recipes/bind.ts builds a jail from a real named.conf, the generated launcher
// starts the host's named in it (self mode) or named from inside it (wrapper mode), and dig gets answers.
// Then /proc/<pid> of named proves the jail: root, ids, groups, no_new_privs, descriptors, environment.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { resolveInRoot } from '../../src/fs/path-in-root.js';
import { verifyJail } from '../../src/verify/verify-jail.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { type BindFixture, type Running, dig, freeDnsPort, nsupdateAdd, procView, servicePid, startInBackground, startPrimary, waitForAnswer, writeBindFixture } from './named-process.js';

const RECIPE = join(REPO_ROOT, 'recipes/bind.ts');
const ok = prerequisites({ root: true, commands: ['named', 'dig', 'nsupdate', 'getent'], packages: 'bind9 bind9-dnsutils' });

function hostIds(): { uid: string; gid: string } {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('bind:'))?.split(':') ?? [];
  return { uid: passwd[2] ?? '?', gid: passwd[3] ?? '?' };
}

describe.skipIf(!ok).each(['self', 'wrapper'] as const)('named jailed in %s mode', (mode) => {
  let fixture: BindFixture;
  let jail: BuiltJail;
  let running: Running | undefined;

  beforeAll(async () => {
    fixture = writeBindFixture(await freeDnsPort());
    jail = await buildJail(RECIPE, { set: { config: fixture.config, mode, low_ports: 'no' } });
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });
  afterAll(() => {
    jail?.cleanup();
    fixture?.cleanup();
  });

  /** Starts DIR/launch with the jail's /dev/null as stdin and a host file and a host directory open as fds 3 and 4. */
  async function start(): Promise<Running> {
    const stdin = openSync(join(jail.root, 'dev/null'), 'r');
    const file = openSync('/etc/hostname', 'r');
    const directory = openSync(fixture.dir, 'r');
    try {
      running = startInBackground(join(jail.dir, 'launch'), [], stdin, [file, directory]);
    } finally {
      for (const fd of [stdin, file, directory]) closeSync(fd);
    }
    await waitForAnswer('www.example.test', fixture.port, '192.0.2.80', running);
    return running;
  }

  it('answers from the jail as bind, with no root, no host descriptor, only the allowlisted environment, and isolated', async () => {
    await start();
    const view = procView(servicePid(jail.dir, 'bind'));
    const { uid, gid } = hostIds();
    expect({
      exe: view.exe,
      root: view.root,
      Uid: view.status.Uid,
      Gid: view.status.Gid,
      Groups: view.status.Groups,
      NoNewPrivs: view.status.NoNewPrivs,
      CapEff: view.status.CapEff,
      CapBnd: view.status.CapBnd,
      environ: view.environ,
      outside: view.fds.filter(({ target }) => target.startsWith('/') && !target.startsWith(`${jail.root}/`)).map(({ target, chardev }) => `${target} ${chardev}`),
      namespaces: view.namespaces,
      controllingTerminal: view.controllingTerminal,
      ownPid: view.status.NSpid?.split('\t').length,
    }).toEqual({
      exe: mode === 'self' ? '/usr/sbin/named' : join(jail.root, 'usr/sbin/named'),
      root: jail.root,
      Uid: [uid, uid, uid, uid].join('\t'),
      Gid: [gid, gid, gid, gid].join('\t'),
      Groups: gid,
      NoNewPrivs: '1',
      // self: named keeps only CAP_NET_BIND_SERVICE after its drop, and its bounding set is the launcher's
      // SELF_CHROOT_CAPABILITIES; wrapper: nothing effective, and only what chroot(8) needed is bounded.
      CapEff: mode === 'self' ? '0000000000000400' : '0000000000000000',
      CapBnd: withinOwnBoundingSet(mode === 'self' ? 0x10404c5n : 0x400c0n),
      environ: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'PWD=/'],
      // Its stdin is the host's /dev/null, which the launcher gives every daemon (and, in self mode, named opens
      // it before its own chroot to detach stdio later): the same 1:3 as the jail's. Nothing the launcher was
      // given is left (stdin was the jail's /dev/null, fds 3 and 4 /etc/hostname and a host directory).
      outside: mode === 'self' ? ['/dev/null 1:3', '/dev/null 1:3'] : ['/dev/null 1:3'],
      // Its own PID and IPC namespaces (the host's network: it serves the host), and no controlling terminal.
      namespaces: { pid: 'own', ipc: 'own', net: 'host', mnt: 'host' },
      controllingTerminal: 0,
      ownPid: 2,
    });
    expect(view.fds.filter(({ target }) => target.startsWith(`${jail.root}/`)).length).toBeGreaterThan(0);
  });

  it(mode === 'self' ? 'holds no binary and no library' : 'holds named and every library ldd names for it', () => {
    const files = jail.manifest.entries.filter((e) => e.type === 'file').map((e) => e.path);
    const elf = files.filter((p) => p === '/usr/sbin/named' || /\.so(\.|$)/.test(p));
    if (mode === 'self') expect(elf).toEqual([]);
    else {
      // ldd as the oracle, on the host's trusted named (never on files being jailed).
      const needed = [...execFileSync('ldd', ['/usr/sbin/named'], { encoding: 'utf8' }).matchAll(/(\/\S+) \(0x/g)].map((m) => m[1] as string);
      expect(needed.length).toBeGreaterThan(30);
      const missing = needed.filter((path) => !resolveInRoot(jail.root, path)?.stats.isFile());
      expect(missing).toEqual([]);
    }
    expect(jail.manifest.entries.find((e) => e.path === '/dev/null')).toMatchObject({ type: 'chardev', major: 1, minor: 3 });
  });

  it('keeps a dynamic update named wrote in its writable directory, byte for byte, across a rebuild', async () => {
    const named = await start();
    await nsupdateAdd(fixture.port, 'dyn.test', 'new.dyn.test', '192.0.2.99');
    expect(await dig('new.dyn.test', fixture.port)).toBe('192.0.2.99');
    await named.stop();
    const written = join(jail.root, fixture.dir, 'dynamic');
    const before = snapshot(written);
    expect(Object.keys(before).sort()).toContain('db.dyn.test.jnl');
    await jail.rebuild();
    expect(snapshot(written)).toEqual(before);
    const again = await start();
    expect(await dig('new.dyn.test', fixture.port)).toBe('192.0.2.99');
    await again.stop();
  });

  it("writes a transferred zone into the secondaries' directory, which survives a rebuild and serves without the primary", async () => {
    const primary = await startPrimary(fixture);
    try {
      const named = await start();
      await waitForAnswer('www.copy.test', fixture.port, '192.0.2.7', named);
      await named.stop();
    } finally {
      await primary.stop();
    }
    const secondaries = join(jail.root, 'var/cache/bind/secondaries');
    const before = snapshot(secondaries);
    expect(Object.keys(before)).toEqual(['db.copy.test']);
    expect(jail.manifest.writable.find((w) => w.path === '/var/cache/bind/secondaries')).toEqual({
      path: '/var/cache/bind/secondaries',
      owner: 'bind',
      group: 'bind',
      mode: '0700',
      why: 'zone "copy.test" file: named writes the secondary copy it transfers',
    });
    await jail.rebuild();
    expect(snapshot(secondaries)).toEqual(before);
    await start();
    expect(await dig('www.copy.test', fixture.port)).toBe('192.0.2.7');
  });

  it('still matches its manifest after named wrote its state, and after the rebuilds', () => {
    expect(verifyJail(jail.root, jail.manifest)).toEqual([]);
  });
});

/** `mask` as /proc prints it, without what this test process could never pass on (containers drop some). */
function withinOwnBoundingSet(mask: bigint): string {
  const own = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
  return (mask & own).toString(16).padStart(16, '0');
}

/** name -> content of every file in `dir`. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name)).toString('base64')]));
}

// BIND in wrapper mode on a privileged port, as root: named starts inside the jail as bind with only
// CAP_NET_BIND_SERVICE kept (ambient), listens on a port below 1024 of 127.0.0.1, and dig gets answers.
// The port is the first free one of 1023 down to 1000, not 53: bind-stock.test.ts needs 53 and the test
// files run two at a time; every port below ip_unprivileged_port_start needs the capability alike.
// Rebuilt with low_ports=no, the same named cannot listen there: the test of the capability can fail.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { type BindFixture, type Running, dig, freeDnsPort, procView, servicePid, startInBackground, tcpFree, udpFree, waitForAnswer, writeBindFixture } from './named-process.js';

const RECIPE = join(REPO_ROOT, 'recipes/bind.ts');
const ok = prerequisites({ root: true, commands: ['named', 'dig', 'getent'], packages: 'bind9 bind9-dnsutils' });

/** The first port of 1023 down to 1000 free on 127.0.0.1 for UDP and TCP; a clear error when none is. */
async function freePrivilegedPort(): Promise<number> {
  for (let port = 1023; port >= 1000; port--) {
    if ((await tcpFree(port)) && (await udpFree(port))) return port;
  }
  throw new Error('no port of 1000-1023 on 127.0.0.1 is free for both UDP and TCP: stop what listens there and run this test again');
}

/** Ports below this one need CAP_NET_BIND_SERVICE (Linux default 1024). */
function unprivilegedPortStart(): number {
  return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
}

/** `mask` as /proc prints it, without what this test process could never pass on (containers drop some). */
function withinOwnBoundingSet(mask: bigint): string {
  const own = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
  return (mask & own).toString(16).padStart(16, '0');
}

function bindIds(): string[] {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('bind:'))?.split(':') ?? [];
  return [passwd[2] ?? '?', passwd[3] ?? '?'];
}

describe.skipIf(!ok)('named jailed in wrapper mode on a port below 1024', () => {
  let fixture: BindFixture;
  let jail: BuiltJail;
  let named: Running | undefined;

  beforeAll(async () => {
    fixture = writeBindFixture(await freePrivilegedPort(), await freeDnsPort());
    jail = await buildJail(RECIPE, { set: { config: fixture.config, mode: 'wrapper' } });
  });
  afterAll(async () => {
    await named?.stop();
    jail?.cleanup();
    fixture?.cleanup();
  });

  it('keeps net_bind_service by default, in the manifest and in the systemd unit', () => {
    expect(jail.manifest.run).toEqual({ argv: ['/usr/sbin/named', '-g', '-c', fixture.config], env: {}, chroot: 'launcher', capabilities: ['net_bind_service'] });
    const unit = readFileSync(join(jail.dir, 'bind.service'), 'utf8').split('\n');
    expect(unit.filter((line) => /CAP_/.test(line))).toEqual([
      '# It keeps only CAP_NET_BIND_SERVICE (ambient), e.g. to bind a port below 1024.',
      'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
      'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    ]);
  });

  it('answers on the privileged port as bind, with exactly CAP_NET_BIND_SERVICE and nothing else', async () => {
    expect(fixture.port).toBeLessThan(unprivilegedPortStart());
    const stdin = openSync(join(jail.root, 'dev/null'), 'r');
    try {
      named = startInBackground(join(jail.dir, 'launch'), [], stdin);
    } finally {
      closeSync(stdin);
    }
    expect(await waitForAnswer('www.example.test', fixture.port, '192.0.2.80', named)).toBe('192.0.2.80');
    const view = procView(servicePid(jail.dir, 'bind'));
    const [uid = '?', gid = '?'] = bindIds();
    expect({
      exe: view.exe,
      root: view.root,
      ...Object.fromEntries(['Uid', 'Gid', 'Groups', 'NoNewPrivs', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'].map((k) => [k, view.status[k]])),
    }).toEqual({
      exe: join(jail.root, 'usr/sbin/named'),
      root: jail.root,
      Uid: [uid, uid, uid, uid].join('\t'),
      Gid: [gid, gid, gid, gid].join('\t'),
      Groups: gid,
      NoNewPrivs: '1',
      CapInh: '0000000000000400',
      CapPrm: '0000000000000400',
      CapEff: '0000000000000400',
      // CAP_NET_BIND_SERVICE and what chroot(8) needed to chroot and drop (sys_chroot, setuid, setgid):
      // unreachable, since no_new_privs and uids without 0 let no exec raise the sets into them.
      CapBnd: withinOwnBoundingSet(0x404c0n),
      CapAmb: '0000000000000400',
    });
    await named.stop();
  });

  it('cannot listen there when built with low_ports=no, and keeps no capability', async () => {
    await jail.rebuild({ set: { config: fixture.config, mode: 'wrapper', low_ports: 'no' } });
    expect(readFileSync(join(jail.dir, 'launch'), 'utf8')).not.toContain('net_bind_service,');
    named = startInBackground(join(jail.dir, 'launch'), [], 'ignore');
    const refused = "creating IPv4 interface lo failed; interface ignored";
    for (let i = 0; i < 80 && !named.log().includes(refused); i++) await new Promise((r) => setTimeout(r, 250));
    expect(named.log()).toContain(refused);
    expect(procView(servicePid(jail.dir, 'bind')).status.CapEff).toBe('0000000000000000');
    expect(await dig('www.example.test', fixture.port)).toBe('');
  });
});

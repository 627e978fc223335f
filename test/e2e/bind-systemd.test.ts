// The generated systemd unit run by a real systemd: systemd-nspawn boots the host's own /usr (a tmpfs
// root, --volatile=yes) as a container with a network of its own, with the jail's DIR bound in at the same
// path and DIR/bind.service installed as is. A checking unit started after it asks named with dig and
// nsupdate (port 53: the container's own), reads named's /proc status, and powers the container off.
// This proves every directive of the unit is one systemd applies and named still serves under all of them.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { type BindFixture, writeBindFixture } from './named-process.js';

const RECIPE = join(REPO_ROOT, 'recipes/bind.ts');
const ok = prerequisites({ root: true, commands: ['systemd-nspawn', 'named', 'dig', 'nsupdate'], packages: 'systemd-container bind9 bind9-dnsutils' });

/** The checking script: waits for named's answer, updates a zone, records what it saw. */
function checkScript(port: number): string {
  return [
    `for i in $(seq 100); do a=$(dig @127.0.0.1 -p ${port} +short +time=1 +tries=1 www.example.test A); [ "$a" = 192.0.2.80 ] && break; sleep 0.2; done`,
    'echo "$a" > /mkjt-out/answer',
    `printf 'server 127.0.0.1 ${port}\\nzone dyn.test\\nupdate add new.dyn.test 300 A 192.0.2.55\\nsend\\n' | nsupdate`,
    `dig @127.0.0.1 -p ${port} +short new.dyn.test A > /mkjt-out/updated`,
    'pid=$(systemctl show -P MainPID bind.service); cat /proc/$pid/status > /mkjt-out/status',
    'systemctl show -P ActiveState bind.service > /mkjt-out/state',
    'journalctl -b -u bind.service --no-pager > /mkjt-out/journal 2>&1',
    '',
  ].join('\n');
}

/** The checking unit: runs the script after bind.service, then powers the container off either way. */
const CHECK_UNIT = ['[Unit]', 'Requires=bind.service', 'After=bind.service', 'SuccessAction=poweroff-force', 'FailureAction=poweroff-force', '[Service]', 'Type=oneshot', 'ExecStart=/bin/sh /mkjt-out/check.sh', ''].join('\n');

/** Boots the container until the checking unit powers it off; returns what it recorded. */
async function runInContainer(jail: BuiltJail, port: number): Promise<Record<string, string>> {
  const out = join(jail.scratch, 'container-out');
  mkdirSync(out, { recursive: true });
  const check = join(jail.scratch, 'mkjt-check.service');
  writeFileSync(check, CHECK_UNIT);
  writeFileSync(join(out, 'check.sh'), checkScript(port));
  const machine = `mkjt-unit-${process.pid}`;
  const args = [
    '--quiet', '-D', '/', '--volatile=yes', '--register=no', '--keep-unit', '--private-network', '-M', machine,
    '--bind-ro=/etc/passwd', '--bind-ro=/etc/group', '--bind-ro=/etc/nsswitch.conf',
    `--bind=${jail.dir}`, `--bind=${out}:/mkjt-out`,
    `--bind-ro=${join(jail.dir, 'bind.service')}:/etc/systemd/system/bind.service`,
    `--bind-ro=${check}:/etc/systemd/system/mkjt-check.service`,
    '-b', 'systemd.unit=mkjt-check.service', 'systemd.firstboot=off',
  ];
  try {
    const result = await execa('systemd-nspawn', args, { reject: false, timeout: 120_000, stdin: 'ignore' });
    const read = (name: string) => {
      try {
        return readFileSync(join(out, name), 'utf8').trim();
      } catch {
        return `(not written; systemd-nspawn exit ${result.exitCode}: ${result.stderr.slice(-2000)})`;
      }
    };
    return Object.fromEntries(['answer', 'updated', 'status', 'state', 'journal'].map((name) => [name, read(name)]));
  } finally {
    // nspawn leaves this directory when the host has no systemd to remove it.
    rmSync(`/run/systemd/nspawn/propagate/${machine}`, { recursive: true, force: true });
  }
}

function statusField(status: string, field: string): string {
  return status.split('\n').find((line) => line.startsWith(`${field}:`))?.slice(field.length + 1).trim() ?? '';
}

describe.skipIf(!ok).each([
  { mode: 'self', lowPorts: 'yes' },
  { mode: 'wrapper', lowPorts: 'yes' },
] as const)('the $mode mode unit started by systemd in a container', ({ mode, lowPorts }) => {
  const port = 53;
  let fixture: BindFixture;
  let jail: BuiltJail;
  let seen: Record<string, string>;

  beforeAll(async () => {
    fixture = writeBindFixture(port);
    jail = await buildJail(RECIPE, { set: { config: fixture.config, mode, low_ports: lowPorts } });
    seen = await runInContainer(jail, port);
  }, 180_000);
  afterAll(() => {
    jail?.cleanup();
    fixture?.cleanup();
  });

  it('runs named, which answers on port 53 and writes a dynamic update into its writable directory', () => {
    expect({ state: seen.state, answer: seen.answer, updated: seen.updated }, seen.journal).toEqual({ state: 'active', answer: '192.0.2.80', updated: '192.0.2.55' });
  });

  it('runs it as bind, with no_new_privs, a seccomp filter and at most CAP_NET_BIND_SERVICE', () => {
    const bind = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('bind:'))?.split(':') ?? [];
    const status = seen.status ?? '';
    expect({
      Uid: statusField(status, 'Uid'),
      NoNewPrivs: statusField(status, 'NoNewPrivs'),
      Seccomp: statusField(status, 'Seccomp'),
      CapEff: statusField(status, 'CapEff'),
    }, seen.journal).toEqual({ Uid: [bind[2], bind[2], bind[2], bind[2]].join('\t'), NoNewPrivs: '1', Seccomp: '2', CapEff: '0000000000000400' });
  });
});

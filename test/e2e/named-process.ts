// For the BIND end-to-end tests: writes the fixture config with its port, starts a jail's launcher in the
// background, waits for dig, reads /proc/<pid> of the jailed named, and always stops it (TERM, then KILL).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { REPO_ROOT } from '../helpers/cli.js';

const FIXTURES = join(REPO_ROOT, 'fixtures/bind');

export interface BindFixture {
  /** Host directory holding named.conf, zones.conf, zones/ and dynamic/ (jailed at the same paths). */
  dir: string;
  config: string;
  port: number;
  /** The port of the host primary for copy.test (primary.conf; start it with startPrimary). */
  primaryPort: number;
  cleanup(): void;
}

/** Writes fixtures/bind with @DIR@, @PORT@ and @PRIMARY_PORT@ filled in, under a fresh scratch directory. */
export function writeBindFixture(port: number, primaryPort = port + 1): BindFixture {
  const dir = mkdtempSync(join(tmpdir(), 'mkjail-bind-'));
  chmodSync(dir, 0o755);
  const fill = (name: string) =>
    readFileSync(join(FIXTURES, name), 'utf8').replaceAll('@DIR@', dir).replaceAll('@PRIMARY_PORT@', String(primaryPort)).replaceAll('@PORT@', String(port));
  writeFileSync(join(dir, 'named.conf'), fill('named.conf.in'));
  writeFileSync(join(dir, 'zones.conf'), fill('zones.conf.in'));
  writeFileSync(join(dir, 'primary.conf'), fill('primary.conf.in'));
  for (const sub of ['zones', 'dynamic', 'primary']) mkdirSync(join(dir, sub));
  // Written anew (0644), not copied: a clone made under a hardened umask holds its fixtures 0640.
  for (const [name, sub] of [['db.example.test', 'zones'], ['db.dyn.test', 'dynamic'], ['db.copy.test', 'primary']] as const) {
    writeFileSync(join(dir, sub, name), readFileSync(join(FIXTURES, name)));
  }
  return { dir, config: join(dir, 'named.conf'), port, primaryPort, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts the plain host named that serves copy.test for zone transfers, and waits until it answers. */
export async function startPrimary(fixture: BindFixture): Promise<Running> {
  const primary = startInBackground('named', ['-g', '-n', '1', '-c', join(fixture.dir, 'primary.conf')], 'ignore');
  await waitForAnswer('www.copy.test', fixture.primaryPort, '192.0.2.7', primary);
  return primary;
}

/** A port of 127.0.0.1 free for both UDP and TCP, with the next one free too, from 5300-5399. */
export async function freeDnsPort(): Promise<number> {
  const start = 5300 + (process.pid % 100);
  for (let i = 0; i < 100; i++) {
    const port = 5300 + ((start - 5300 + i * 7) % 99);
    if ((await tcpFree(port)) && (await udpFree(port)) && (await tcpFree(port + 1)) && (await udpFree(port + 1))) return port;
  }
  throw new Error('no free port in 5300-5399 on 127.0.0.1');
}

/**
 * A port of 127.0.0.1 the kernel picks from its ephemeral range, free for TCP now (and for UDP too with
 * `udp`): for a second service beside freeDnsPort's port, whose neighbour another test may be using.
 */
export async function kernelPickedPort(udp = false): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: picked } = server.address() as AddressInfo;
        server.close(() => resolve(picked));
      });
    });
    if (!udp || (await udpFree(port))) return port;
  }
  throw new Error('the kernel picked no port of 127.0.0.1 free for both TCP and UDP');
}

export function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

export interface Running {
  /** The launcher's pid (named's is in DIR/<name>.pid: see servicePid). */
  pid: number;
  /** What named printed so far (-g logs to stderr). */
  log(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it is gone. */
  stop(): Promise<void>;
  /** Its exit code once it ended (null when a signal ended it), when started by startInBackground. */
  exitCode?: () => Promise<number | null>;
}

/**
 * Starts `launch` (DIR/launch, or any command) with `stdin` as fd 0 and host descriptors `fds` as fds 3, 4,
 * ... With `group`, in a process group of its own that stop() signals whole (a tracer and what it traces).
 */
export function startInBackground(command: string, args: string[], stdin: number | 'ignore', fds: number[] = [], options: { group?: boolean } = {}): Running {
  const child: ChildProcess = spawn(command, args, { detached: options.group === true, stdio: [stdin, 'pipe', 'pipe', ...fds], env: { ...process.env, MKJAIL_TEST_SECRET: 'must not leak' } });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const signal = (name: NodeJS.Signals) => (options.group ? process.kill(-(child.pid as number), name) : child.kill(name));
  return {
    pid: child.pid as number,
    log: () => log,
    exitCode: async () => {
      await exited;
      return child.exitCode;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * The host pid of a jail's service, from the pid file its launcher writes beside the jail (DIR/NAME.pid)
 * just after the service starts: waited for, up to 5 s.
 */
export function servicePid(dir: string, name: string): number {
  const file = join(dir, `${name}.pid`);
  for (let waited = 0; !existsSync(file) && waited < 5000; waited += 10) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  const text = readFileSync(file, 'utf8');
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${file} holds no pid: '${text}'`);
  return pid;
}

/** `dig +short` against 127.0.0.1:port; the answer lines, or '' when there is none. */
export async function dig(name: string, port: number, type = 'A'): Promise<string> {
  const result = await execa('dig', ['@127.0.0.1', '-p', String(port), '+short', '+time=1', '+tries=1', name, type], { reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : '';
}

/** Asks until the answer is `expected` (at most ~20 s); returns the last answer. */
export async function waitForAnswer(name: string, port: number, expected: string, running: Running): Promise<string> {
  let answer = '';
  for (let i = 0; i < 80; i++) {
    answer = await dig(name, port);
    if (answer === expected) return answer;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`named never answered ${name} with ${expected} (last: '${answer}'); its log:\n${running.log()}`);
}

export interface ProcView {
  exe: string;
  root: string;
  status: Record<string, string>;
  /** Every open descriptor: its number, its target, and the device numbers when it is a character device. */
  fds: Array<{ fd: number; target: string; chardev?: string }>;
  environ: string[];
  /** Whether each namespace is the test's own ('host') or one of its own ('own'). */
  namespaces: Record<'pid' | 'ipc' | 'net' | 'mnt', 'host' | 'own'>;
  /** tty_nr of /proc/<pid>/stat: 0 when its session has no controlling terminal. */
  controllingTerminal: number;
}

/** What the kernel says about process `pid`. */
export function procView(pid: number): ProcView {
  const status = Object.fromEntries(
    readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
  );
  const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => {
    const path = `/proc/${pid}/fd/${fd}`;
    const stats = statSync(path);
    const chardev = stats.isCharacterDevice() ? `${Math.floor(stats.rdev / 256) & 0xfff}:${(stats.rdev & 0xff) | ((stats.rdev >> 12) & 0xfff00)}` : undefined;
    return { fd: Number(fd), target: readlinkSync(path), ...(chardev ? { chardev } : {}) };
  });
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((v) => v !== '');
  const namespace = (kind: string): 'host' | 'own' => (readlinkSync(`/proc/${pid}/ns/${kind}`) === readlinkSync(`/proc/self/ns/${kind}`) ? 'host' : 'own');
  const namespaces = { pid: namespace('pid'), ipc: namespace('ipc'), net: namespace('net'), mnt: namespace('mnt') };
  // stat: "pid (comm) state ppid pgrp session tty_nr ...": comm may hold blanks, so count from its ")".
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const controllingTerminal = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[4]);
  return { exe: readlinkSync(`/proc/${pid}/exe`), root: readlinkSync(`/proc/${pid}/root`), status, fds, environ, namespaces, controllingTerminal };
}

/** Sends one dynamic update with nsupdate: `update add NAME 300 A ADDRESS` in zone `zone`. */
export async function nsupdateAdd(port: number, zone: string, name: string, address: string): Promise<void> {
  const script = `server 127.0.0.1 ${port}\nzone ${zone}\nupdate add ${name} 300 A ${address}\nsend\n`;
  await execa('nsupdate', [], { input: script });
}

/**
 * The options a scratch named.conf of the e2e tests starts with: its working directory DIR/cache and
 * state files in DIR/run (both for bind to write), loopback on `port`, no recursion, no validation.
 */
export function scratchOptions(dir: string, port: number): string {
  return [
    `  directory "${dir}/cache";`,
    `  pid-file "${dir}/run/named.pid"; session-keyfile "${dir}/run/session.key"; lock-file "${dir}/run/named.lock";`,
    `  listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; };`,
    '  recursion no; dnssec-validation no; notify no;',
  ].join('\n');
}

/**
 * Gives the directories named writes (`writable`, below `scratch`) to bind, has named-checkconf -z
 * accept `config` as the host's named would, then builds recipes/bind.ts from it in wrapper mode.
 */
export async function buildBindJailFrom(scratch: string, config: string, writable: string[]): Promise<BuiltJail> {
  for (const dir of writable) execFileSync('chown', ['bind:bind', join(scratch, dir)]);
  execFileSync('named-checkconf', ['-z', config], { stdio: 'pipe' });
  return buildJail(join(REPO_ROOT, 'recipes/bind.ts'), { set: { config, mode: 'wrapper', low_ports: 'no' } });
}

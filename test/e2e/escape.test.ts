// A program started by the launcher in a jail built by mkjail cannot get out: fixtures/escape/escape.c
// (built here with gcc) tries the classic escapes. Run as root without the launcher's drop, the same
// program gets out at the first attempt, which proves the test can see an escape.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { ALL_ESCAPES_BLOCKED, NEIGHBOUR_ATTEMPTS, buildEscapeProbe, buildNeighboursProbe, neighbourVerdicts } from '../helpers/escape-probe.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { shellQuote } from '../../src/artifacts/shell-quote.js';
import { execa } from 'execa';
import { prerequisites } from '../helpers/prereq.js';

const ok = prerequisites({ root: true, commands: ['gcc', 'setpriv', 'chroot'], packages: 'gcc libc6-dev util-linux coreutils' });

/** Runs `command` with a host directory open as fd 3; resolves with its exit code and output. */
function runWithDirectory(command: string, args: string[], directory: string): Promise<{ exitCode: number | null; stdout: string }> {
  const fd = openSync(directory, 'r');
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit', fd] });
  closeSync(fd);
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.once('close', (exitCode) => resolve({ exitCode, stdout: stdout.trimEnd() })));
}

describe.skipIf(!ok)('a program in a jail built by mkjail and started by its launcher', () => {
  let host: string;
  let marker: string;
  let jail: BuiltJail;

  beforeAll(async () => {
    host = mkdtempSync(join(tmpdir(), 'mkjail-escape-'));
    chmodSync(host, 0o755);
    buildEscapeProbe(join(host, 'escape'));
    marker = join(host, 'marker');
    writeFileSync(marker, 'outside the jail\n');
    jail = await buildJail(`import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'escape',
  files: [{ from: ${JSON.stringify(join(host, 'escape'))}, to: '/bin/escape' }],
  user: 'nobody',
  group: 'nogroup',
  devices: ['null'],
  run: { argv: ['/bin/escape'] },
});
`);
  });
  afterAll(() => {
    jail?.cleanup();
    rmSync(host, { recursive: true, force: true });
  });

  it('fails at every classic escape', async () => {
    expect(await runWithDirectory(join(jail.dir, 'launch'), [marker], host)).toEqual({
      exitCode: 0,
      stdout: ALL_ESCAPES_BLOCKED,
    });
  });

  it('gets out at the first escape when run as root by plain chroot, without the drop', async () => {
    const result = await runWithDirectory('chroot', [jail.root, '/bin/escape', marker], host);
    expect(result.exitCode).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe('chroot-dotdot: ESCAPED (outside the jail)');
  });
});

/**
 * What a chroot alone leaves shared with the host, tried by fixtures/escape/neighbours.c as the service
 * user (nobody) against a process of the same user outside the jail, which holds a SysV message queue
 * and an abstract UNIX socket. Each attempt runs inside a pseudo-terminal (script), the caller's terminal
 * the service would inherit. Plain `chroot --userspec` reaches all of them; the launcher none but the
 * abstract socket, which only run.network 'none' closes, in both modes.
 */
const withTerminal = prerequisites({ root: true, commands: ['gcc', 'setpriv', 'chroot', 'unshare', 'script', 'ip'], packages: 'gcc libc6-dev util-linux coreutils iproute2' });

describe.skipIf(!withTerminal)('a jailed program and the host processes, terminal and IPC of its user', () => {
  const key = `0x6d6b${(process.pid & 0xffff).toString(16).padStart(4, '0')}`;
  const socketName = `mkjail-test-${process.pid}`;
  let host: string;
  let probe: string;
  let holder: ReturnType<typeof spawn>;
  let jails: BuiltJail[] = [];

  /** Builds a jail running the probe: in the jail (launcher mode) or from the host, chrooting itself. */
  async function jailFor(mode: 'launcher' | 'self', network?: 'none'): Promise<BuiltJail> {
    const run =
      mode === 'self'
        ? `{ argv: [${JSON.stringify(probe)}, 'self', '{root}', '65534', '65534'], chroot: 'self'${network ? `, network: '${network}'` : ''} }`
        : `{ argv: ['/bin/neighbours']${network ? `, network: '${network}'` : ''} }`;
    const jail = await buildJail(`import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'neighbours',
  files: [{ from: ${JSON.stringify(probe)}, to: '/bin/neighbours' }],
  user: 'nobody',
  group: 'nogroup',
  run: ${run},
});
`);
    jails.push(jail);
    return jail;
  }

  /** Runs `command` in a fresh pseudo-terminal with the holder's pid, key and socket; the verdicts. */
  async function inTerminal(command: string[]): Promise<Record<string, string>> {
    const words = [...command, String(holder.pid), key, socketName].map(shellQuote).join(' ');
    const result = await execa('script', ['-qec', words, '/dev/null'], { reject: false, stdin: 'ignore' });
    return neighbourVerdicts(result.stdout);
  }

  const verdicts = (reached: readonly string[]) => Object.fromEntries(NEIGHBOUR_ATTEMPTS.map((a) => [a, reached.includes(a) ? 'REACHED' : 'blocked']));

  beforeAll(async () => {
    host = makeScratch('neighbours-');
    probe = join(host, 'neighbours');
    buildNeighboursProbe(probe);
    holder = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', probe, 'hold', key, socketName], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
      holder.stdout?.once('data', resolve);
      holder.once('exit', (code) => reject(new Error(`the holder exited with ${code}`)));
    });
  });
  afterAll(() => {
    holder?.stdin?.end();
    for (const jail of jails) jail.cleanup();
    jails = [];
    if (host) removeScratch(host);
  });

  it('reaches every one of them through plain chroot --userspec, so the test can see each escape', async () => {
    const jail = await jailFor('launcher');
    expect(await inTerminal(['chroot', '--userspec=65534:65534', jail.root, '/bin/neighbours', 'try'])).toEqual(verdicts(NEIGHBOUR_ATTEMPTS));
  });

  it.each(['launcher', 'self'] as const)('reaches none but the abstract socket through the launcher in %s mode', async (mode) => {
    const jail = await jailFor(mode);
    const command = mode === 'self' ? [join(jail.dir, 'launch')] : [join(jail.dir, 'launch'), 'try'];
    expect(await inTerminal(command)).toEqual(verdicts(['abstract-socket']));
  });

  it.each(['launcher', 'self'] as const)("reaches none at all in %s mode with network 'none'", async (mode) => {
    const jail = await jailFor(mode, 'none');
    const command = mode === 'self' ? [join(jail.dir, 'launch')] : [join(jail.dir, 'launch'), 'try'];
    expect(await inTerminal(command)).toEqual(verdicts([]));
  });
});

// The generated launcher, run as root on a jail this test assembles (a static probe built with gcc):
// it checks /proc/<pid> of the launched program, and that the classic escapes fail through it.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderLauncher } from '../../src/artifacts/launcher.js';
import { shellQuote } from '../../src/artifacts/shell-quote.js';
import { MkjailError } from '../../src/errors.js';
import { type Identity, MANIFEST_FORMAT, type Manifest } from '../../src/plan/manifest.js';
import { prerequisites } from '../helpers/prereq.js';
import { ALL_ESCAPES_BLOCKED, buildEscapeProbe } from '../helpers/escape-probe.js';
import { servicePid } from '../e2e/named-process.js';

const NOBODY: Identity = { user: 'nobody', uid: 65534, group: 'nogroup', gid: 65534 };

function manifestFor(run: Manifest['run'], identity: Identity | null = NOBODY): Manifest {
  return {
    format: MANIFEST_FORMAT,
    tool: { name: 'mkjail', version: '0.1.0' },
    recipe: { name: 'probe', sha256: '0'.repeat(64) },
    identity,
    writable: [],
    run,
    entries: [],
  };
}

/** Runs a command with host descriptors as its fds 3, 4, ... (execa types allow no raw fd numbers there). */
function spawnWithFds(command: string, args: string[], fds: number[], env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe', ...fds], env });
}

async function finished(child: ChildProcess): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { exitCode, stdout: stdout.trimEnd(), stderr: stderr.trimEnd() };
}

describe('renderLauncher', () => {
  it('writes no launcher for a recipe without run', () => {
    expect(renderLauncher(manifestFor(null))).toBeUndefined();
  });

  it('refuses to chroot a program without a user to drop to', () => {
    let error: unknown;
    try {
      renderLauncher(manifestFor({ argv: ['/bin/x'], env: {}, chroot: 'launcher' }, null));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MkjailError);
    expect((error as MkjailError).toLine()).toBe(
      "Can't write the launcher of probe at DIR/launch: the recipe runs its program inside the jail but names no user (fix: set `user` and `group` in the recipe; a jailed program never runs as root)",
    );
  });

  it('quotes words so that bash reads them back exactly', () => {
    const words = ['plain', 'with space', "it's", '$HOME', '`id`', 'a"b', ''];
    const echoed = execFileSync('bash', ['-c', `printf '%s\\n' ${words.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
    expect(echoed).toBe(`${words.join('\n')}\n`);
  });
});

/** What a program may do with the capabilities it kept: bind a port below 1024, but no chown and no securebits change. */
const CAPABILITY_PROBE = `#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
static int bind_low_port(void) {
  int err = EADDRINUSE;
  for (int port = 1023; port > 900 && err == EADDRINUSE; port--) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons(port) };
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    err = bind(fd, (struct sockaddr *)&address, sizeof address) == 0 ? 0 : errno;
    close(fd);
  }
  return err;
}
int main(void) {
  int err = bind_low_port();
  printf("bind-low-port: %s\\n", err ? strerror(err) : "bound");
  printf("chown: %s\\n", chown("/", 0, 0) == 0 ? "done" : strerror(errno));
  printf("securebits: %#x\\n", prctl(PR_GET_SECUREBITS));
  printf("clear-securebits: %s\\n", prctl(PR_SET_SECUREBITS, 0) == 0 ? "done" : strerror(errno));
  return 0;
}
`;

const ok = prerequisites({ root: true, commands: ['gcc', 'setpriv', 'chroot', 'getent'], packages: 'gcc libc6-dev util-linux coreutils' });

describe.skipIf(!ok)('the launcher on a real jail', () => {
  let scratch: string;
  let dir: string;
  let jail: string;
  let marker: string;

  function writeLauncher(manifest: Manifest): string {
    const launch = join(dir, 'launch');
    writeFileSync(launch, renderLauncher(manifest) ?? '', { mode: 0o755 });
    return launch;
  }

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mkjail-launcher-'));
    chmodSync(scratch, 0o755);
    dir = join(scratch, 'out');
    jail = join(dir, 'root');
    mkdirSync(join(jail, 'bin'), { recursive: true });
    buildEscapeProbe(join(jail, 'bin/escape'));
    writeFileSync(join(scratch, 'caps.c'), CAPABILITY_PROBE);
    execFileSync('gcc', ['-static', '-O1', '-o', join(jail, 'bin/caps'), join(scratch, 'caps.c')]);
    marker = join(scratch, 'marker-outside-the-jail');
    writeFileSync(marker, 'the marker outside\n');
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  /**
   * Starts `launch hold` with two host descriptors open (a file as fd 3, a directory as fd 4), inspects
   * the program by the pid the launcher wrote to DIR/probe.pid, then stops it with a SIGTERM to the
   * launcher, which passes it on: the program says so and the launcher exits with its status.
   */
  async function holdAndInspect(launch: string, run: (pid: number) => void): Promise<void> {
    const file = openSync('/etc/hostname', 'r');
    const directory = openSync(scratch, 'r');
    const child = spawnWithFds(launch, ['hold'], [file, directory], { SECRET: 'leak', PATH: process.env.PATH });
    const done = finished(child);
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout?.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the launcher exited with ${code}`)));
      });
      run(servicePid(dir, 'probe'));
    } finally {
      closeSync(file);
      closeSync(directory);
      child.kill('SIGTERM');
    }
    expect(await done).toEqual({ exitCode: 0, stdout: 'ready\nstopped by TERM', stderr: '' });
    expect(existsSync(join(dir, 'probe.pid'))).toBe(false);
  }

  function capBnd(pid: number): string {
    return /^CapBnd:.*$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[0] ?? 'CapBnd: missing';
  }

  /** `mask` as /proc prints it, without what this test process could never pass on (containers drop some). */
  function withinOwnBoundingSet(mask: bigint): string {
    const own = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`);
    return (mask & own).toString(16).padStart(16, '0');
  }

  /** What ties a process to the host: its stdin, its session's terminal, its namespaces. */
  function isolationOf(pid: number) {
    const namespace = (kind: string) => (readlinkSync(`/proc/${pid}/ns/${kind}`) === readlinkSync(`/proc/self/ns/${kind}`) ? 'host' : 'own');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2).split(' ');
    const nsPid = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.split('\t');
    return {
      stdin: readlinkSync(`/proc/${pid}/fd/0`),
      terminal: Number(stat[4]),
      sessionLeader: Number(stat[3]) === pid,
      pid: namespace('pid'),
      ipc: namespace('ipc'),
      net: namespace('net'),
      nsPid: Number(nsPid?.at(-1)),
    };
  }

  function statusLines(pid: number): string[] {
    return readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .filter((line) => /^(Uid|Gid|Groups|NoNewPrivs|CapInh|CapPrm|CapEff|CapAmb):/.test(line));
  }

  it('runs the program chrooted as the service user, with no root left, a clean environment and no host descriptor', async () => {
    const launch = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: { LANG: 'C' }, chroot: 'launcher' }));
    await holdAndInspect(launch, (pid) => {
      expect(statusLines(pid)).toEqual([
        'Uid:\t65534\t65534\t65534\t65534',
        'Gid:\t65534\t65534\t65534\t65534',
        'Groups:\t65534 ',
        'CapInh:\t0000000000000000',
        'CapPrm:\t0000000000000000',
        'CapEff:\t0000000000000000',
        'CapAmb:\t0000000000000000',
        'NoNewPrivs:\t1',
      ]);
      expect(readlinkSync(`/proc/${pid}/root`)).toBe(jail);
      expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(jail);
      expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(['0', '1', '2']);
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toEqual(['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'PWD=/', 'LANG=C', '']);
      expect(isolationOf(pid)).toEqual({ stdin: '/dev/null', terminal: 0, sessionLeader: false, pid: 'own', ipc: 'own', net: 'host', nsPid: 2 });
    });
  });

  it('gives up only the isolations a recipe shares, each by its namespace, and a network of loopback alone for network none', async () => {
    const shared = writeLauncher(
      manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher', share: [{ namespace: 'pid', why: 'test' }, { namespace: 'ipc', why: 'test' }] }),
    );
    await holdAndInspect(shared, (pid) => {
      expect(isolationOf(pid)).toMatchObject({ stdin: '/dev/null', terminal: 0, sessionLeader: false, pid: 'host', ipc: 'host', net: 'host' });
    });
    const offline = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher', network: 'none' }));
    await holdAndInspect(offline, (pid) => {
      expect(isolationOf(pid)).toMatchObject({ pid: 'own', ipc: 'own', net: 'own' });
      const links = readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2).filter(Boolean).map((l) => l.trim().split(':')[0]);
      expect(links).toEqual(['lo']);
      expect(readFileSync(`/proc/${pid}/net/route`, 'utf8').trim().split('\n')).toHaveLength(1);
    });
  });

  it("passes the program's exit status back, and a signal's as 128+N", async () => {
    const launch = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher' }));
    expect((await finished(spawn(launch, ['relative-marker']))).exitCode).toBe(2);
    const child = spawn(launch, ['hold'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const done = finished(child);
    await new Promise((resolve) => child.stdout?.once('data', resolve));
    process.kill(servicePid(dir, 'probe'), 'SIGKILL');
    expect((await done).exitCode).toBe(128 + 9);
  });

  it('blocks every classic escape of a program it started, which plain chroot as root lets through', async () => {
    const launch = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher' }));
    const directory = openSync(scratch, 'r');
    try {
      const jailed = await finished(spawnWithFds(launch, [marker], [directory]));
      expect(jailed).toEqual({
        exitCode: 0,
        stdout: ALL_ESCAPES_BLOCKED,
        stderr: '',
      });
      const root = await finished(spawnWithFds('chroot', [jail, '/bin/escape', marker], [directory]));
      expect(root).toEqual({
        exitCode: 1,
        stderr: '',
        stdout: [
          'chroot-dotdot: ESCAPED (the marker outside)',
          'fchdir-inherited: ESCAPED (the marker outside)',
          'read-marker: blocked (open marker: No such file or directory)',
          'regain-root: ESCAPED (uid 0 again)',
        ].join('\n'),
      });
    } finally {
      closeSync(directory);
    }
  });

  it('leaves a program that keeps net_bind_service exactly that capability, as the service user, and nothing else', async () => {
    const launch = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher', capabilities: ['net_bind_service'] }));
    await holdAndInspect(launch, (pid) => {
      expect([...statusLines(pid), capBnd(pid)]).toEqual([
        'Uid:\t65534\t65534\t65534\t65534',
        'Gid:\t65534\t65534\t65534\t65534',
        'Groups:\t65534 ',
        'CapInh:\t0000000000000400',
        'CapPrm:\t0000000000000400',
        'CapEff:\t0000000000000400',
        'CapAmb:\t0000000000000400',
        'NoNewPrivs:\t1',
        // CAP_NET_BIND_SERVICE, and what chroot(8) needed (sys_chroot, setuid, setgid): with no_new_privs
        // and no uid 0 left, no exec can raise the program's sets into them.
        `CapBnd:\t${withinOwnBoundingSet(0x404c0n)}`,
      ]);
      expect(readlinkSync(`/proc/${pid}/root`)).toBe(jail);
    });
  });

  it('lets a program that keeps net_bind_service bind a port below 1024 but not chown, change securebits or escape', async () => {
    const kept = writeLauncher(manifestFor({ argv: ['/bin/caps'], env: {}, chroot: 'launcher', capabilities: ['net_bind_service'] }));
    expect(await finished(spawn(kept, []))).toEqual({
      exitCode: 0,
      stdout: ['bind-low-port: bound', 'chown: Operation not permitted', 'securebits: 0xc', 'clear-securebits: Operation not permitted'].join('\n'),
      stderr: '',
    });
    const none = writeLauncher(manifestFor({ argv: ['/bin/caps'], env: {}, chroot: 'launcher' }));
    expect(await finished(spawn(none, []))).toEqual({
      exitCode: 0,
      stdout: ['bind-low-port: Permission denied', 'chown: Operation not permitted', 'securebits: 0', 'clear-securebits: Operation not permitted'].join('\n'),
      stderr: '',
    });
    const escape = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher', capabilities: ['net_bind_service'] }));
    const directory = openSync(scratch, 'r');
    try {
      expect((await finished(spawnWithFds(escape, [marker], [directory]))).stdout).toBe(
        [
          'chroot-dotdot: blocked (chroot: Operation not permitted)',
          'fchdir-inherited: blocked (no directory descriptor above 2: Bad file descriptor)',
          'read-marker: blocked (open marker: No such file or directory)',
          'regain-root: blocked (setresuid(0, 0, 0): Operation not permitted)',
        ].join('\n'),
      );
    } finally {
      closeSync(directory);
    }
  });

  it('leaves chroot and the drop to a self-chrooting daemon but still cleans its environment and descriptors', async () => {
    const launch = writeLauncher(manifestFor({ argv: ['{root}/bin/escape'], env: {}, chroot: 'self' }));
    await holdAndInspect(launch, (pid) => {
      expect(statusLines(pid).filter((l) => /^(Uid|NoNewPrivs)/.test(l))).toEqual(['Uid:\t0\t0\t0\t0', 'NoNewPrivs:\t1']);
      expect(readlinkSync(`/proc/${pid}/exe`)).toBe(join(jail, 'bin/escape'));
      expect(readlinkSync(`/proc/${pid}/cwd`)).toBe(jail);
      expect(readdirSync(`/proc/${pid}/fd`).sort()).toEqual(['0', '1', '2']);
      expect(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toEqual(['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'PWD=/', '']);
    });
  });

  it('calls env, setpriv and chroot by absolute path, so a PATH in run.env cannot put a host program of its own in their place', async () => {
    const fakes = join(scratch, 'fake-bin');
    const hijacked = join(scratch, 'hijacked-by-fake-tool');
    mkdirSync(fakes, { recursive: true });
    for (const tool of ['env', 'setpriv', 'chroot']) {
      writeFileSync(join(fakes, tool), `#!/bin/sh\necho ${tool} >> ${shellQuote(hijacked)}\nexit 97\n`, { mode: 0o755 });
    }
    const launch = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: { PATH: fakes }, chroot: 'launcher' }));
    const result = await finished(spawn(launch, [marker]));
    expect({ ...result, hijacked: existsSync(hijacked) }).toEqual({ exitCode: 0, stdout: ALL_ESCAPES_BLOCKED, stderr: '', hijacked: false });
    expect(renderLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher' }))).toContain(
      'start_service /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin PWD=/ /usr/bin/setpriv --no-new-privs --bounding-set=-all,+sys_chroot,+setuid,+setgid -- /usr/sbin/chroot --userspec=+65534:+65534 --groups=+65534 "$JAIL" /bin/escape "$@"\n',
    );
  });

  it('writes a newline of run.argv into its header comment escaped, so it cannot start a command as root', async () => {
    const injected = join(scratch, 'injected-by-argv');
    const launch = writeLauncher(manifestFor({ argv: ['/bin/escape', `/no-marker\ntouch ${injected} #`], env: {}, chroot: 'launcher' }));
    const result = await finished(spawn(launch, []));
    expect({ ...result, injected: existsSync(injected) }).toEqual({ exitCode: 0, stdout: ALL_ESCAPES_BLOCKED, stderr: '', injected: false });
    expect(readFileSync(launch, 'utf8').split('\n').filter((line) => line.startsWith('# Program:'))).toEqual([
      `# Program: /bin/escape /no-marker\\ntouch ${injected} # (extra arguments are appended)`,
    ]);
  });

  it('says a missing user in its one-line error without letting the shell expand the name', async () => {
    const expanded = join(scratch, 'expanded-from-user-name');
    const user = `mkjail-$(touch ${expanded})`;
    const launch = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher' }, { ...NOBODY, user }));
    const result = await execa(launch, ['hold'], { reject: false });
    expect({ exitCode: result.exitCode, stderr: result.stderr, expanded: existsSync(expanded) }).toEqual({
      exitCode: 3,
      stderr: `mkjail launch probe: Can't find user ${user} at host passwd: missing (fix: create it with uid 65534, or rebuild the jail)`,
      expanded: false,
    });
  });

  it('refuses to run without root, with one line and exit 3', async () => {
    const launch = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher' }));
    const result = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', launch, 'hold'], { reject: false });
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 3,
      stderr: `mkjail launch probe: Can't start the jail at ${jail}: not running as root (uid 65534) (fix: run it as root, e.g. sudo ${launch})`,
    });
  });

  it('refuses a jail that someone other than root could change, and follows a symlink to itself', async () => {
    const launch = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher' }));
    chmodSync(jail, 0o775);
    try {
      const result = await execa(launch, ['hold'], { reject: false });
      expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
        exitCode: 3,
        stderr: `mkjail launch probe: Can't start the jail at ${jail}: mode 775 lets group or others write (fix: rebuild it with mkjail build, or run ${dir}/perms.sh)`,
      });
    } finally {
      chmodSync(jail, 0o755);
    }
    symlinkSync(launch, join(scratch, 'launch-link'));
    const linked = await execa(join(scratch, 'launch-link'), [marker], { reject: false });
    expect(linked.stdout.split('\n')[0]).toBe('chroot-dotdot: blocked (chroot: Operation not permitted)');
  });

  it('refuses to run from a directory or as a script that someone other than root could change', async () => {
    const launch = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher' }));
    const fix = '(fix: rebuild the jail as root with mkjail build, or chown root and chmod go-w it)';
    chmodSync(dir, 0o775);
    try {
      const result = await execa(launch, ['hold'], { reject: false });
      expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
        exitCode: 3,
        stderr: `mkjail launch probe: Can't start the jail at ${dir}: mode 775 lets group or others write ${fix}`,
      });
    } finally {
      chmodSync(dir, 0o755);
    }
    chownSync(launch, 65534, 65534);
    try {
      const result = await execa(launch, ['hold'], { reject: false });
      expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
        exitCode: 3,
        stderr: `mkjail launch probe: Can't start the jail at ${launch}: owned by uid 65534, not root ${fix}`,
      });
    } finally {
      chownSync(launch, 0, 0);
    }
  });

  it('refuses to run when the host ids changed since the build, or the user is gone', async () => {
    const changed = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher' }, { ...NOBODY, uid: 4242 }));
    const result = await execa(changed, ['hold'], { reject: false });
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 3,
      stderr: "mkjail launch probe: Can't use user nobody at host passwd: uid is 65534, the jail was built for 4242 (fix: rebuild the jail with mkjail build)",
    });
    const gone = writeLauncher(manifestFor({ argv: ['/bin/escape'], env: {}, chroot: 'launcher' }, { ...NOBODY, user: 'mkjail-no-such-user' }));
    const missing = await execa(gone, ['hold'], { reject: false });
    expect({ exitCode: missing.exitCode, stderr: missing.stderr }).toEqual({
      exitCode: 3,
      stderr: "mkjail launch probe: Can't find user mkjail-no-such-user at host passwd: missing (fix: create it with uid 65534, or rebuild the jail)",
    });
  });
});

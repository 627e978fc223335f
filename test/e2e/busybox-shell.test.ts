// recipes/busybox-shell.ts end to end: a person's shell in a jail, driven through a real pseudo-terminal
// (tmux) by DIR/launch as a test user: id, ls /, job control, no host /etc/shadow, a terminal of the
// jail's own devpts that follows the window's size; then the same jail as
// the test user's sshd ChrootDirectory login (a command over ssh runs in the jail's busybox sh).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { mkjail, REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { createTestUser, removeTestUser, startTestSshd, type TestSshd } from './sshd-process.js';

const ok = prerequisites({
  root: true,
  commands: ['tmux', 'busybox', 'sshd', 'ssh', 'ssh-keygen', 'useradd', 'userdel', 'getcap'],
  packages: 'tmux busybox-static openssh-server openssh-client libcap2-bin',
});
const USER = `mkjt-shell-${process.pid}`;
const SOCKET = `mkjt-shell-${process.pid}`;

describe.skipIf(!ok)('a shell for a person in a jail (recipes/busybox-shell.ts)', () => {
  let scratch: string;
  let jail: BuiltJail;
  let createdUser = false;
  let uid: string;

  beforeAll(async () => {
    scratch = makeScratch('shell-');
    await createTestUser(USER);
    createdUser = true;
    uid = (await execa('id', ['-u', USER])).stdout;
    jail = await buildJail(join(REPO_ROOT, 'recipes/busybox-shell.ts'), { set: { user: USER, group: USER } });
  });
  afterAll(async () => {
    await execa('tmux', ['-L', SOCKET, 'kill-server'], { reject: false });
    jail?.cleanup();
    if (scratch) removeScratch(scratch);
    if (createdUser) await removeTestUser(USER);
  });

  const tmux = (...args: string[]) => execa('tmux', ['-L', SOCKET, ...args]);
  /** Types `line` and Enter, then waits until the pane shows `expected`; returns the pane. */
  async function type(line: string, expected: string | RegExp): Promise<string>;
  async function type(session: string, line: string, expected: string | RegExp): Promise<string>;
  async function type(...args: [string, string | RegExp] | [string, string, string | RegExp]): Promise<string> {
    const [session, line, expected] = args.length === 3 ? args : ['shell', ...args];
    await tmux('send-keys', '-t', session, line, 'Enter');
    return screenShows(expected, session);
  }
  /** Waits up to 10 s for the tmux session to end (its launcher exited). */
  async function sessionEnds(session: string): Promise<'ended' | 'still running'> {
    for (let i = 0; i < 40; i++) {
      if (!(await tmux('has-session', '-t', session).then(() => true, () => false))) return 'ended';
      await new Promise((r) => setTimeout(r, 250));
    }
    return 'still running';
  }
  /**
   * Asks `jobs` until the pane shows `expected`: on a loaded machine the shell may not have seen its
   * continued child yet the first time it is asked.
   */
  async function jobsShow(expected: RegExp): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await type('jobs', expected);
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }
  async function screenShows(expected: string | RegExp, session = 'shell'): Promise<string> {
    let pane = '';
    for (let i = 0; i < 40; i++) {
      pane = (await tmux('capture-pane', '-p', '-t', session)).stdout;
      if (typeof expected === 'string' ? pane.includes(expected) : expected.test(pane)) return pane;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the screen never showed ${String(expected)}:\n${JSON.stringify(pane)}`);
  }

  it('gives the user a home and a shell in the jail\'s passwd, with the host\'s ids', () => {
    const passwd = readFileSync(join(jail.root, 'etc/passwd'), 'utf8');
    expect(passwd).toBe(`root:x:0:0:root:/:/usr/sbin/nologin\n${USER}:x:${uid}:${uid}:${USER}:/home/${USER}:/bin/sh\n`);
  });

  afterEach(async () => {
    await execa('tmux', ['-L', SOCKET, 'kill-server'], { reject: false });
  });

  it('runs an interactive busybox shell through a pseudo-terminal: id, ls /, job control, no host shadow', async () => {
    await tmux('new-session', '-d', '-s', 'shell', '-x', '120', '-y', '40', join(jail.dir, 'launch'));
    await screenShows('/ $');
    await type('id', `uid=${uid}(${USER}) gid=${uid}(${USER}) groups=${uid}(${USER})`);
    await type('ls /', /bin\s+dev\s+etc\s+home\s+lib\s+usr/);
    await type('cat /etc/shadow', "cat: can't open '/etc/shadow': No such file or directory");
    await type('echo $HOME; cd; pwd', `/home/${USER}\n/home/${USER}`);
    await type('sleep 60', 'sleep 60');
    await tmux('send-keys', '-t', 'shell', 'C-z');
    await screenShows(/\[1\]\+\s+Stopped\s+sleep 60/);
    await type('bg', /\[1\]\s+sleep 60/);
    await jobsShow(/\[1\]\+\s+Running\s+sleep 60/);
    await type('kill %1; echo killed-$?', 'killed-0');
    await tmux('send-keys', '-t', 'shell', 'exit', 'Enter');
    expect(await sessionEnds('shell')).toBe('ended');
  });

  it('gives the shell a terminal of the jail\'s own devpts: the window\'s size, resized with it, and no other terminal in /dev/pts', async () => {
    await tmux('new-session', '-d', '-s', 'sized', '-x', '120', '-y', '40', join(jail.dir, 'launch'));
    await screenShows('/ $', 'sized');
    await type('sized', '[ -t 0 ] && echo "terminal: $(stty size)"', 'terminal: 40 120');
    await type('sized', 'ls /dev/pts | tr "\\n" " "; echo', /^0 ptmx$/m);
    await tmux('resize-window', '-t', 'sized', '-x', '100', '-y', '30');
    await type('sized', 'echo "resized: $(stty size)"', 'resized: 30 100');
    const pidFile = join(jail.dir, 'busybox-shell.pid');
    expect(readFileSync(pidFile, 'utf8')).toMatch(/^\d+\n$/);
    await tmux('send-keys', '-t', 'sized', 'exit', 'Enter');
    expect(await sessionEnds('sized')).toBe('ended');
    expect(existsSync(pidFile)).toBe(false);
  });

  it('serves the same jail as the user\'s sshd ChrootDirectory login', async () => {
    const sshd: TestSshd = await startTestSshd(scratch, USER, join(jail.dir, 'sshd_config'));
    try {
      const result = await execa('ssh', [...sshd.clientOptions, '-p', String(sshd.port), `${USER}@127.0.0.1`, 'id; ls /; cat /etc/shadow; pwd'], { reject: false, timeout: 20_000 });
      // sshd changes to the home the HOST's passwd names (/nonexistent for the test user), inside the
      // chroot; there is none, so the command starts in /.
      expect(result.stdout.split('\n')).toEqual([`uid=${uid}(${USER}) gid=${uid}(${USER}) groups=${uid}(${USER})`, 'bin', 'dev', 'etc', 'home', 'lib', 'usr', '/']);
      expect(result.stderr).toContain("cat: can't open '/etc/shadow': No such file or directory");
    } finally {
      await sshd.stop();
    }
  });

  it('gives a terminal login over ssh once the host\'s devpts is bound at the jail\'s /dev/pts, as DIR/sshd_config says', async () => {
    const pts = join(jail.root, 'dev/pts');
    expect(readFileSync(join(jail.dir, 'sshd_config'), 'utf8')).toContain(`mount --bind /dev/pts ${pts}`);
    await execa('mount', ['--bind', '/dev/pts', pts]);
    const keys = makeScratch('shell-pty-');
    const sshd: TestSshd = await startTestSshd(keys, USER, join(jail.dir, 'sshd_config'));
    try {
      const ssh = ['ssh', ...sshd.clientOptions, '-tt', '-p', String(sshd.port), `${USER}@127.0.0.1`, '[ -t 0 ] && [ -t 1 ] && echo terminal-login'];
      const result = await execa('script', ['-qec', ssh.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' '), '/dev/null'], { reject: false, timeout: 20_000 });
      expect(result.stdout, sshd.running.log()).toContain('terminal-login');
      const audit = await mkjail(['audit', jail.dir]);
      expect({ exitCode: audit.exitCode, verify: (await mkjail(['verify', jail.dir])).exitCode }).toEqual({ exitCode: 0, verify: 0 });
    } finally {
      await sshd.stop();
      await execa('umount', [pts]);
      removeScratch(keys);
    }
    // sshd opened the login's pts and /dev/tty inside the jail: none of its old complaints.
    expect(sshd.running.log()).not.toMatch(/No such file or directory|could not set controlling tty/);
  });

  it('audits and verifies clean, busybox declared by the recipe', async () => {
    const audit = await mkjail(['audit', jail.dir]);
    expect(audit.stdout).toContain('allowed  dangerous-binary:/usr/bin/busybox (recipe:');
    expect(audit.exitCode).toBe(0);
    expect((await mkjail(['verify', jail.dir])).exitCode).toBe(0);
  });
});

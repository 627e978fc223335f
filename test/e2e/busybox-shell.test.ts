// recipes/busybox-shell.ts end to end: a person's shell in a jail, driven through a real pseudo-terminal
// (tmux) by DIR/launch as a test user: id, ls /, job control, no host /etc/shadow; then the same jail as
// the test user's sshd ChrootDirectory login (a command over ssh runs in the jail's busybox sh).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  async function type(line: string, expected: string | RegExp): Promise<string> {
    await tmux('send-keys', '-t', 'shell', line, 'Enter');
    return screenShows(expected);
  }
  async function screenShows(expected: string | RegExp): Promise<string> {
    let pane = '';
    for (let i = 0; i < 40; i++) {
      pane = (await tmux('capture-pane', '-p', '-t', 'shell')).stdout;
      if (typeof expected === 'string' ? pane.includes(expected) : expected.test(pane)) return pane;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the screen never showed ${String(expected)}:\n${pane}`);
  }

  it('gives the user a home and a shell in the jail\'s passwd, with the host\'s ids', () => {
    const passwd = readFileSync(join(jail.root, 'etc/passwd'), 'utf8');
    expect(passwd).toBe(`root:x:0:0:root:/:/usr/sbin/nologin\n${USER}:x:${uid}:${uid}:${USER}:/home/${USER}:/bin/sh\n`);
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
    await type('bg; jobs', /\[1\]\+\s+Running\s+sleep 60/);
    await type('kill %1; echo killed-$?', 'killed-0');
    await tmux('send-keys', '-t', 'shell', 'exit', 'Enter');
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

  it('audits and verifies clean, busybox declared by the recipe', async () => {
    const audit = await mkjail(['audit', jail.dir]);
    expect(audit.stdout).toContain('allowed  dangerous-binary:/usr/bin/busybox (recipe:');
    expect(audit.exitCode).toBe(0);
    expect((await mkjail(['verify', jail.dir])).exitCode).toBe(0);
  });
});

// recipes/sftp.ts end to end: Debian's sshd on a free high port (test host key, test user key, a test
// user mkjt-sftp-*) chroots the user into the tree-only jail; sftp uploads and lists, ssh gets no shell,
// the user sees only the jail, and internal-sftp's log line reaches a test rsyslogd through /dev/log.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { mkjail, REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { createTestUser, removeTestUser, startTestSshd, type TestSshd } from './sshd-process.js';
import { startTestRsyslog, type TestRsyslog } from './rsyslog-process.js';

const ok = prerequisites({
  root: true,
  commands: ['sshd', 'ssh', 'sftp', 'ssh-keygen', 'useradd', 'userdel', 'rsyslogd', 'getcap'],
  packages: 'openssh-server openssh-client rsyslog libcap2-bin',
});
const USER = `mkjt-sftp-${process.pid}`;

describe.skipIf(!ok)('an SFTP-only account in a jail (recipes/sftp.ts)', () => {
  let scratch: string;
  let jail: BuiltJail;
  let sshd: TestSshd | undefined;
  let rsyslog: TestRsyslog | undefined;
  let port: number;
  let createdUser = false;

  beforeAll(async () => {
    scratch = makeScratch('sftp-');
    await createTestUser(USER);
    createdUser = true;
    jail = await buildJail(join(REPO_ROOT, 'recipes/sftp.ts'), { set: { user: USER, group: USER } });
    rsyslog = await startTestRsyslog(scratch, join(jail.dir, 'rsyslog.conf'), join(jail.root, 'dev/log'));
    sshd = await startTestSshd(scratch, USER, join(jail.dir, 'sshd_config'));
    port = sshd.port;
  });
  afterAll(async () => {
    await sshd?.stop();
    await rsyslog?.stop();
    jail?.cleanup();
    if (scratch) removeScratch(scratch);
    if (createdUser) await removeTestUser(USER);
  });

  const clientOptions = () => sshd?.clientOptions ?? [];
  const sftp = (commands: string) => {
    writeFileSync(join(scratch, 'batch'), commands);
    return execa('sftp', [...clientOptions(), '-P', String(port), '-b', join(scratch, 'batch'), `${USER}@127.0.0.1`], { reject: false });
  };

  it('builds a tree sshd accepts, with the Match block beside it', () => {
    const block = readFileSync(join(jail.dir, 'sshd_config'), 'utf8');
    expect(block).toContain(`Match User ${USER}\n    ChrootDirectory ${jail.root}\n    ForceCommand internal-sftp -d /upload -l INFO\n`);
    expect(existsSync(join(jail.dir, 'launch'))).toBe(false);
    expect(jail.result.warnings.filter((w) => w.includes('ChrootDirectory'))).toEqual([]);
  });

  it('lets the user upload into upload/ and list it, as the user', async () => {
    writeFileSync(join(scratch, 'local.txt'), 'uploaded through sftp\n');
    const result = await sftp(`put ${join(scratch, 'local.txt')} hello.txt\nls -1\n`);
    expect(result.stderr + result.stdout).toContain('hello.txt');
    expect(result.exitCode).toBe(0);
    const uploaded = join(jail.root, 'upload/hello.txt');
    expect(readFileSync(uploaded, 'utf8')).toBe('uploaded through sftp\n');
    const uid = Number((await execa('id', ['-u', USER])).stdout);
    expect(statSync(uploaded).uid).toBe(uid);
  });

  it('shows the user the jail only: its own root, no host file', async () => {
    const result = await sftp('ls -1 /\nls -1 /etc\nget /etc/shadow shadow-copy\n');
    expect(result.stdout).toContain('/dev');
    expect(result.stdout).toContain('/upload');
    expect(result.stdout).not.toMatch(/\/(home|root|usr|var|proc)\b/);
    expect(result.stdout).toContain('/etc/passwd');
    expect(result.stdout).not.toContain('shadow\n');
    expect(result.exitCode).not.toBe(0);
    expect(existsSync(join(scratch, 'shadow-copy'))).toBe(false);
  });

  it('gives ssh no shell and no command', async () => {
    const result = await execa('ssh', [...clientOptions(), '-p', String(port), `${USER}@127.0.0.1`, 'id; echo shell-ran'], { reject: false, timeout: 20_000 });
    expect(result.stdout).not.toContain('shell-ran');
    expect(result.stdout).not.toContain('uid=');
    // sshd authenticated the user (the key was accepted) and ran internal-sftp, which refuses a command.
    expect(result.stdout + result.stderr).toContain('This service allows sftp connections only.');
  });

  it('logs internal-sftp\'s session through the jail\'s /dev/log', async () => {
    await rsyslog?.waitFor(`session opened for local user ${USER}`);
  });

  it('audits and verifies clean after the uploads', async () => {
    expect((await mkjail(['audit', jail.dir])).exitCode).toBe(0);
    expect((await mkjail(['verify', jail.dir])).exitCode).toBe(0);
  });
});

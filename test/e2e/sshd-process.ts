// Debian's sshd on a free high port for a test: a test host key, a test user key, a test user
// (mkjt-*, created here and removed by stop()), and one Match block included (DIR/sshd_config).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { type Running, startInBackground, tcpFree } from './named-process.js';

export interface TestSshd {
  port: number;
  user: string;
  running: Running;
  /** ssh/sftp options: the test user key, batch mode, a known_hosts file of the test's own. */
  clientOptions: string[];
  /** Stops sshd and removes the test user. */
  stop(): Promise<void>;
}

/** Creates the test user (a `useradd` group of its own) before the jail is built; `startTestSshd` starts sshd for it. */
export async function createTestUser(user: string): Promise<void> {
  await execa('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', '--password', '*', '--user-group', user]);
}

export async function removeTestUser(user: string): Promise<void> {
  await execa('userdel', [user], { reject: false });
}

async function freeTcpPort(): Promise<number> {
  for (let port = 20000 + (process.pid % 20000); ; port++) if (await tcpFree(port)) return port;
}

/** Starts `sshd -D` on 127.0.0.1 with keys in `dir`, allowing only `user`, including `matchBlock`. */
export async function startTestSshd(dir: string, user: string, matchBlock: string): Promise<TestSshd> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'user_key')]);
  mkdirSync(join(dir, 'keys'), { mode: 0o755 });
  writeFileSync(join(dir, 'keys', user), readFileSync(join(dir, 'user_key.pub')), { mode: 0o644 });
  const port = await freeTcpPort();
  const config = join(dir, 'sshd_config');
  writeFileSync(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'keys')}/%u`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    `AllowUsers ${user}`,
    'Subsystem sftp internal-sftp',
    `Include ${matchBlock}`,
    '',
  ].join('\n'));
  // sshd's privilege separation directory, which Debian's package makes at boot (tmpfiles).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const running = startInBackground('/usr/sbin/sshd', ['-D', '-e', '-f', config], 'ignore');
  for (let i = 0; i < 80 && (await tcpFree(port)); i++) await new Promise((r) => setTimeout(r, 250));
  if (await tcpFree(port)) throw new Error(`sshd never listened on ${port}; it said:\n${running.log()}`);
  const clientOptions = ['-i', join(dir, 'user_key'), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', `UserKnownHostsFile=${join(dir, 'known_hosts')}`, '-o', 'IdentitiesOnly=yes'];
  return { port, user, running, clientOptions, stop: () => running.stop() };
}

// The fleet story: examples/ansible/bind-jail.yml installs mkjail from its packed tarball (npm pack) into
// a scratch prefix, builds, verifies and audits the BIND jail on a host; a second run of the same play
// reports nothing changed (mkjail build --json drives changed_when); check mode reports a pending build
// and writes nothing.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { packMkjail } from '../helpers/pack.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../audit/helpers/clean-jail.js';

const ok = prerequisites({ root: true, commands: ['ansible-playbook', 'named', 'npm'], packages: 'ansible-core bind9' });

describe.skipIf(!ok)('the Ansible example play', () => {
  // Below root-owned 0755 directories only: the play's audit step rightly fails a jail below /tmp.
  const scratch = ok ? makeScratch('ansible-') : '';
  let tarball = '';
  afterAll(() => removeScratch(scratch));

  beforeAll(async () => {
    tarball = await packMkjail(scratch);
  }, 180_000);

  const play = (jail: string, extra: string[] = []) =>
    execa('ansible-playbook', ['-i', 'localhost,', '-c', 'local', `${REPO_ROOT}examples/ansible/bind-jail.yml`, ...extra,
      // As JSON: key=value extra vars split at spaces, and the checkout's path may hold one.
      '-e', JSON.stringify({ mkjail_tarball: tarball, mkjail_package_dest: join(scratch, 'mkjail.tgz'), mkjail_prefix: join(scratch, 'prefix'), bind_jail_dir: join(scratch, jail), ansible_python_interpreter: '/usr/bin/python3' })],
    { env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(scratch, 'tmp'), PATH: `/usr/bin:/bin:/usr/sbin:/sbin` }, reject: false });

  const recap = (stdout: string) => /localhost\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(stdout)?.slice(1);

  it('installs mkjail from the tarball and builds the jail on the first run, and changes nothing on the second', async () => {
    const first = await play('bind');
    expect(first.exitCode, first.stdout).toBe(0);
    // Copy of the tarball (to the test's own path: a copy another run left would make it "ok"), npm install, build.
    expect(recap(first.stdout)).toEqual(['3', '0', '0']);
    expect(existsSync(join(scratch, 'prefix/bin/mkjail'))).toBe(true);
    const second = await play('bind');
    expect(second.exitCode, second.stdout).toBe(0);
    expect(recap(second.stdout)).toEqual(['0', '0', '0']);
  }, 300_000);

  it('in check mode reports the pending build of a new jail and writes nothing, and nothing for a built one', async () => {
    const pending = await play('bind-new', ['--check']);
    expect(pending.exitCode, pending.stdout).toBe(0);
    expect(recap(pending.stdout)).toEqual(['1', '0', '0']);
    expect(existsSync(join(scratch, 'bind-new'))).toBe(false);
    const settled = await play('bind', ['--check']);
    expect(settled.exitCode, settled.stdout).toBe(0);
    expect(recap(settled.stdout)).toEqual(['0', '0', '0']);
  }, 120_000);
});

// The fleet story: examples/ansible/bind-jail.yml builds, verifies and audits the BIND jail on a host,
// and a second run of the same play reports nothing changed (mkjail build --json drives changed_when).
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { MKJAIL_BIN, REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../audit/helpers/clean-jail.js';

const ok = prerequisites({ root: true, commands: ['ansible-playbook', 'named'], packages: 'ansible-core bind9' });

describe.skipIf(!ok)('the Ansible example play', () => {
  // Below root-owned 0755 directories only: the play's audit step rightly fails a jail below /tmp.
  const scratch = ok ? makeScratch('ansible-') : '';
  afterAll(() => removeScratch(scratch));

  const play = () =>
    execa('ansible-playbook', ['-i', 'localhost,', '-c', 'local', `${REPO_ROOT}examples/ansible/bind-jail.yml`,
      // As JSON: key=value extra vars split at spaces, and the checkout's path may hold one.
      '-e', JSON.stringify({ mkjail_bin: MKJAIL_BIN, mkjail_recipe: `${REPO_ROOT}recipes/bind.ts`, bind_jail_dir: join(scratch, 'bind'), ansible_python_interpreter: '/usr/bin/python3' })],
    { env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(scratch, 'tmp'), PATH: `/usr/bin:/bin:/usr/sbin:/sbin` }, reject: false });

  const recap = (stdout: string) => /localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(stdout);

  it('builds the jail on the first run and changes nothing on the second', async () => {
    const first = await play();
    expect(first.exitCode, first.stdout).toBe(0);
    expect(recap(first.stdout)?.slice(1)).toEqual(['3', '1', '0', '0']);
    const second = await play();
    expect(second.exitCode, second.stdout).toBe(0);
    expect(recap(second.stdout)?.slice(1)).toEqual(['3', '0', '0', '0']);
  });
});

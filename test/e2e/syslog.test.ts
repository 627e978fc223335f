// syslog: true end to end: the build writes DIR/rsyslog.conf, Debian's rsyslogd (foreground, test config)
// makes the jail's /dev/log from it, and a line logged inside the jail by a non-root user arrives. The
// socket is not drift, not an audit finding, and survives perms.sh.
import { lstatSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { mkjail } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { makeScratch, removeScratch } from '../helpers/scratch.js';
import { startTestRsyslog, type TestRsyslog } from './rsyslog-process.js';

const ok = prerequisites({ root: true, commands: ['rsyslogd', 'busybox', 'chroot', 'getcap'], packages: 'rsyslog busybox-static libcap2-bin' });

const RECIPE = `import { defineRecipe } from 'mkjail';
export default defineRecipe({
  name: 'syslog-test',
  binaries: ['/usr/bin/busybox'],
  user: 'nobody',
  group: 'nogroup',
  devices: [],
  syslog: true,
  allow: [{ rule: 'dangerous-binary', path: '/usr/bin/busybox', why: 'busybox logger stands in for a service that logs' }],
});
`;

describe.skipIf(!ok)('a jail with syslog: true', () => {
  let jail: BuiltJail;
  let logs: string;
  let rsyslog: TestRsyslog | undefined;
  beforeAll(async () => {
    jail = await buildJail(RECIPE);
    logs = makeScratch('rsyslog-');
    rsyslog = await startTestRsyslog(logs, join(jail.dir, 'rsyslog.conf'), join(jail.root, 'dev/log'));
  });
  afterAll(async () => {
    await rsyslog?.stop();
    jail?.cleanup();
    if (logs) removeScratch(logs);
  });

  const logFromJail = (text: string) => execa('chroot', ['--userspec=65534:65534', jail.root, '/usr/bin/busybox', 'logger', '-t', 'mkjt-syslog', text]);

  it('writes an rsyslog drop-in beside the jail with its install steps and records the socket', () => {
    const conf = readFileSync(join(jail.dir, 'rsyslog.conf'), 'utf8');
    expect(conf).toContain(`input(type="imuxsock" Socket="${jail.root}/dev/log" CreatePath="on")\n`);
    expect(conf).toContain(`#   install -m 0644 ${jail.dir}/rsyslog.conf /etc/rsyslog.d/mkjail-syslog-test.conf\n`);
    expect(jail.manifest.syslog).toEqual({ socket: '/dev/log' });
    expect(jail.manifest.entries.find((e) => e.path === '/dev')).toMatchObject({ type: 'dir', mode: '0111' });
  });

  it('carries a line logged inside the jail, as nobody, to the host\'s rsyslog', async () => {
    expect(lstatSync(join(jail.root, 'dev/log')).isSocket()).toBe(true);
    await logFromJail('hello from the jail');
    expect(await rsyslog?.waitFor('mkjt-syslog: hello from the jail')).toMatch(/mkjt-syslog: hello from the jail/);
  });

  it('is clean for verify and audit with the socket there, and perms.sh leaves the socket usable', async () => {
    const verify = await mkjail(['verify', jail.dir]);
    expect(verify.stdout + verify.stderr).not.toContain('extra');
    expect(verify.exitCode).toBe(0);
    const audit = await mkjail(['audit', jail.dir]);
    expect(audit.stdout).toMatch(/clean: \d+ entries, no findings$/);
    expect(audit.exitCode).toBe(0);
    await execa(join(jail.dir, 'perms.sh'));
    await logFromJail('after perms.sh');
    await rsyslog?.waitFor('mkjt-syslog: after perms.sh');
  });

  it('still reports any other socket in the jail', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(join(jail.root, 'usr/other.sock'), resolve));
    try {
      const audit = await mkjail(['audit', jail.dir]);
      expect(audit.stdout).toContain('HIGH     socket-or-fifo /usr/other.sock: socket');
      expect(audit.stdout).not.toContain('/dev/log');
      expect(audit.exitCode).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(join(jail.root, 'usr/other.sock'), { force: true });
    }
  });
});

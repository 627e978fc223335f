// Where named looks its user up, measured with strace: in self mode (`-u bind`) named reads the host's
// NSS configuration before its chroot and nothing after it; in wrapper mode (no -u, numeric ids given
// to chroot as +UID:+GID) none of the tools the launcher execs opens NSS files at all, so the jail needs
// none. The launcher's own bash is left out of the count: bash reads the host's passwd for the login
// shell whenever SHELL is unset (as under a bare CI runner); the launch here runs with SHELL unset so
// that this case is always the one measured.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_TOOLS } from '../../src/artifacts/host-tools.js';
import { decodeQuoted, parseStraceOutput, type SyscallRecord } from '../../src/trace/strace-syntax.js';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { type BindFixture, freeDnsPort, startInBackground, waitForAnswer, writeBindFixture } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['named', 'dig', 'strace'], packages: 'bind9 bind9-dnsutils strace' });
const NSS_FILE = /^(\/etc\/nsswitch\.conf|\/etc\/passwd|\/etc\/group|.*libnss_.*)$/;

/** Runs DIR/launch under strace until named answers, stops named, and returns the trace. */
async function traceLaunch(jail: BuiltJail, fixture: BindFixture): Promise<SyscallRecord[]> {
  const file = join(jail.scratch, 'strace.txt');
  const trace = ['strace', '-f', '-o', file, '-e', 'trace=openat,chroot,execve', join(jail.dir, 'launch')];
  const tracer = startInBackground('/usr/bin/env', ['-u', 'SHELL', ...trace], 'ignore');
  try {
    await waitForAnswer('www.example.test', fixture.port, '192.0.2.80', tracer);
  } finally {
    const chrooter = readTrace(file).find((r) => r.name === 'chroot')?.pid;
    if (chrooter) process.kill(chrooter, 'SIGTERM');
    await tracer.stop();
  }
  return readTrace(file);
}

/** The trace, a record a call (mkjail trace's own parser: it joins the calls strace -f splits in two). */
function readTrace(file: string): SyscallRecord[] {
  return parseStraceOutput(readFileSync(file, 'utf8'));
}

/**
 * NSS files opened before the chroot by the process that chroots, from the moment the launcher execs its
 * first host tool (`env`), and by anyone after the chroot.
 */
function nssOpens(trace: SyscallRecord[]): { before: string[]; after: string[] } {
  const at = trace.findIndex((r) => r.name === 'chroot' && r.value === 0);
  expect(at, 'strace saw no successful chroot').toBeGreaterThan(-1);
  const chrooter = trace[at]?.pid;
  const chain = trace.slice(0, at).filter((r) => r.pid === chrooter);
  const toolsFrom = chain.findIndex((r) => r.name === 'execve' && decodeQuoted(r.args[0] ?? '') === HOST_TOOLS.env);
  expect(toolsFrom, `the launcher never exec'd ${HOST_TOOLS.env}`).toBeGreaterThan(-1);
  const opened = (records: SyscallRecord[]) =>
    records
      .filter((r) => r.name === 'openat' && r.value !== undefined && r.value >= 0)
      .map((r) => decodeQuoted(r.args[1] ?? '') ?? '')
      .filter((path) => NSS_FILE.test(path));
  return {
    before: [...new Set(opened(chain.slice(toolsFrom)))].filter((p) => p.startsWith('/etc/')).sort(),
    after: opened(trace.slice(at + 1)),
  };
}

describe.skipIf(!ok).each(['self', 'wrapper'] as const)('NSS lookups of named in %s mode', (mode) => {
  let fixture: BindFixture;
  let jail: BuiltJail;

  beforeAll(async () => {
    fixture = writeBindFixture(await freeDnsPort());
    jail = await buildJail(join(REPO_ROOT, 'recipes/bind.ts'), { set: { config: fixture.config, mode } });
  });
  afterAll(() => {
    jail?.cleanup();
    fixture?.cleanup();
  });

  it(mode === 'self' ? 'happen on the host before the chroot, never inside the jail' : 'never happen: the jail needs no NSS file', async () => {
    const { before, after } = nssOpens(await traceLaunch(jail, fixture));
    expect({ before, after }).toEqual({
      before: mode === 'self' ? ['/etc/group', '/etc/nsswitch.conf', '/etc/passwd'] : [],
      after: [],
    });
  });
});

// Where named looks its user up, measured with strace: in self mode (`-u bind`) named reads the host's
// NSS configuration before its chroot and nothing after it; in wrapper mode (no -u, numeric ids given
// to chroot as +UID:+GID) none of the tools the launcher execs opens NSS files at all, so the jail needs
// none. The launcher's own bash is left out of the count: bash reads the host's passwd for the login
// shell whenever SHELL is unset (as under a bare CI runner); the launch here runs with SHELL unset so
// that this case is always the one measured.
import { HOST_TOOLS } from '../../src/artifacts/host-tools.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltJail, buildJail } from '../helpers/build-jail.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { prerequisites } from '../helpers/prereq.js';
import { type BindFixture, freeDnsPort, startInBackground, waitForAnswer, writeBindFixture } from './named-process.js';

const ok = prerequisites({ root: true, commands: ['named', 'dig', 'strace'], packages: 'bind9 bind9-dnsutils strace' });
const NSS_FILE = /"(\/etc\/nsswitch\.conf|\/etc\/passwd|\/etc\/group|[^"]*libnss_[^"]*)"/;

interface TraceLine {
  pid: number;
  text: string;
}

/** Runs DIR/launch under strace until named answers, stops named, and returns the trace. */
async function traceLaunch(jail: BuiltJail, fixture: BindFixture): Promise<TraceLine[]> {
  const file = join(jail.scratch, 'strace.txt');
  const trace = ['strace', '-f', '-o', file, '-e', 'trace=openat,chroot,execve', join(jail.dir, 'launch')];
  const tracer = startInBackground('/usr/bin/env', ['-u', 'SHELL', ...trace], 'ignore');
  try {
    await waitForAnswer('www.example.test', fixture.port, '192.0.2.80', tracer);
  } finally {
    const chrooter = readTrace(file).find((l) => l.text.startsWith('chroot('))?.pid;
    if (chrooter) process.kill(chrooter, 'SIGTERM');
    await tracer.stop();
  }
  return readTrace(file);
}

/**
 * The trace a line a call: strace -f splits a call another process interrupts into "NAME(args
 * <unfinished ...>" and, later, "<... NAME resumed>rest"; they are joined at the moment it returned.
 */
function readTrace(file: string): TraceLine[] {
  const pending = new Map<number, string>();
  const lines: TraceLine[] = [];
  for (const match of readFileSync(file, 'utf8').split('\n').map((line) => /^(\d+)\s+(.*)$/.exec(line))) {
    if (!match) continue;
    const pid = Number(match[1]);
    const text = match[2] as string;
    const unfinished = /^(.*) <unfinished \.\.\.>$/.exec(text);
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(text);
    if (unfinished) pending.set(pid, unfinished[1] as string);
    else if (resumed && pending.has(pid)) {
      lines.push({ pid, text: `${pending.get(pid)}${resumed[1]}` });
      pending.delete(pid);
    } else lines.push({ pid, text });
  }
  return lines;
}

/**
 * NSS files opened before the chroot by the process that chroots, from the moment the launcher execs its
 * first host tool (`env`), and by anyone after the chroot.
 */
function nssOpens(trace: TraceLine[]): { before: string[]; after: string[] } {
  const at = trace.findIndex((l) => /^chroot\(.*\) = 0$/.test(l.text));
  expect(at, 'strace saw no successful chroot').toBeGreaterThan(-1);
  const chrooter = trace[at]?.pid;
  const chain = trace.slice(0, at).filter((l) => l.pid === chrooter);
  const toolsFrom = chain.findIndex((l) => l.text.startsWith(`execve("${HOST_TOOLS.env}"`));
  expect(toolsFrom, `the launcher never exec'd ${HOST_TOOLS.env}`).toBeGreaterThan(-1);
  const opened = (lines: TraceLine[]) => lines.filter((l) => NSS_FILE.test(l.text) && !/= -1 /.test(l.text)).map((l) => NSS_FILE.exec(l.text)?.[1] as string);
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

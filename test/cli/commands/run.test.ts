// `mkjail run` on a DIR this test writes: a valid manifest and a DIR/launch script standing in for the
// service, so what reaches the service (arguments, signals) and which DIRs are refused can be seen.
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_FORMAT, type Manifest } from '../../../src/plan/manifest.js';
import { MKJAIL_BIN, mkjail } from '../../helpers/cli.js';
import { prerequisites } from '../../helpers/prereq.js';

const MANIFEST: Manifest = {
  format: MANIFEST_FORMAT,
  tool: { name: 'mkjail', version: '0.1.0' },
  recipe: { name: 'probe', sha256: '0'.repeat(64) },
  identity: null,
  writable: [],
  run: { argv: ['{root}/bin/probe'], env: {}, chroot: 'self' },
  entries: [],
};

/**
 * Prints "ready", counts SIGINTs until one came and a second passed, then prints the count. It ends
 * itself after 20 s (SIGALRM): a lost signal then fails the test with what it printed, rather than
 * leaving a service that holds the output pipe open past every time limit.
 */
const COUNT_SIGINT = `#!/bin/bash
exec /usr/bin/perl -e 'alarm 20; $| = 1; my $n = 0; $SIG{INT} = sub { $n++ }; print "ready\\n"; sleep 1 until $n; select(undef, undef, undef, 1); print "SIGINT $n\\n"'
`;

const ok = prerequisites({ root: true, commands: ['perl'], packages: 'perl' });

describe.skipIf(!ok)('mkjail run', () => {
  let dir: string;

  function writeLaunch(script: string): string {
    const launch = join(dir, 'launch');
    writeFileSync(launch, script, { mode: 0o755 });
    return launch;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mkjail-run-'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(MANIFEST));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes -h after -- to the service instead of printing its own help', async () => {
    writeLaunch(`#!/bin/bash\nprintf '%s\\n' "$@"\n`);
    expect(await mkjail(['run', dir, '--', '-h', '--help'])).toEqual({ exitCode: 0, stdout: '-h\n--help', stderr: '' });
  });

  it('delivers one SIGINT to the service when the terminal sends it to the whole foreground group', async () => {
    writeLaunch(COUNT_SIGINT);
    // A time limit well under the test's, so that a lost signal shows what the service had printed.
    const child = execa(process.execPath, [MKJAIL_BIN, 'run', dir], { detached: true, reject: false, timeout: 30_000 });
    await new Promise<void>((ready, failed) => {
      child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready());
      void child.then((early) => failed(new Error(`mkjail run ended before the service was ready: exit ${early.exitCode}, ${early.stdout} ${early.stderr}`)));
    });
    process.kill(-(child.pid as number), 'SIGINT');
    const result = await child;
    expect({ timedOut: result.timedOut, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
      timedOut: false,
      exitCode: 0,
      stdout: 'ready\nSIGINT 1',
      stderr: '',
    });
  });

  it('refuses a DIR/launch that a user other than root owns, with one line and exit 3', async () => {
    const launch = writeLaunch(`#!/bin/bash\necho started\n`);
    chownSync(launch, 65534, 65534);
    expect(await mkjail(['run', dir])).toEqual({
      exitCode: 3,
      stdout: '',
      stderr: `mkjail run: Can't run the jail at ${dir}: ${launch} is owned by uid 65534, not root (fix: rebuild the jail as root with mkjail build, or chown root and chmod go-w it)`,
    });
  });

  it('refuses a DIR that group or others may write, with one line and exit 3', async () => {
    writeLaunch(`#!/bin/bash\necho started\n`);
    chmodSync(dir, 0o775);
    expect(await mkjail(['run', dir])).toEqual({
      exitCode: 3,
      stdout: '',
      stderr: `mkjail run: Can't run the jail at ${dir}: ${dir} has mode 0775, which lets group or others write (fix: rebuild the jail as root with mkjail build, or chown root and chmod go-w it)`,
    });
  });

  it('lists the signals it forwards in its help', async () => {
    const result = await mkjail(['run', '--help']);
    expect(result.stdout).toContain('SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on to the service');
  });
});
